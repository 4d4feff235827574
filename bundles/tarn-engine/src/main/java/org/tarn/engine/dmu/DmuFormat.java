package org.tarn.engine.dmu;


/**
 * Constants of the on-disk object store that a reader of an existing pool
 * relies on; changing one changes the format (tunables live in
 * {@link org.tarn.engine.EngineDefaults}).
 */
public final class DmuFormat {
    /**
     * Transaction groups a freed block stays allocated, so that importing at
     * an older uberblock (rewind) finds the blocks its tree points at intact.
     */
    public static final int FREE_DEFER_TXGS = 2;
    /** Smallest and largest data block sizes a pool may use. */
    public static final int MIN_RECORD_SIZE_BYTES = 4096;
    public static final int MAX_RECORD_SIZE_BYTES = 1024 * 1024;
    /** Size of an indirect block (256 block pointers). */
    public static final int INDIRECT_BLOCK_BYTES = 16 * 1024;
    /** Size of a block of the dnode array (128 dnodes). */
    public static final int DNODE_BLOCK_BYTES = 16 * 1024;

    private DmuFormat() {
    }
}
