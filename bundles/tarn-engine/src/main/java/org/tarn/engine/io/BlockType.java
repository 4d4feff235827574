package org.tarn.engine.io;

/** What a block holds; recorded in its pointer for diagnostics and dumps. Never renumber. */
public enum BlockType {
    NONE(0), DATA(1), INDIRECT(2), DNODES(3), OBJSET(4), DIRECTORY(5), SPACE_MAP(6), HISTORY(7);

    private final int id;

    BlockType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    public static BlockType byId(int id) {
        for (BlockType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return NONE;
    }
}
