package org.tarn.engine.label;

/**
 * The pool state a label records. {@link #id} is what the label stores (the
 * ZFS {@code pool_state_t} numbers): append only, never renumber.
 */
public enum PoolLabelState {
    /** Imported somewhere, or was when that host stopped: importing elsewhere needs care. */
    ACTIVE(0),
    /** Cleanly exported: free to import anywhere. */
    EXPORTED(1),
    /** Destroyed: importable only when asked for explicitly. */
    DESTROYED(2);

    private final int id;

    PoolLabelState(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    public static PoolLabelState byId(long id) {
        for (PoolLabelState s : values()) {
            if (s.id == id) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown pool state " + id);
    }
}
