package org.tarn.api;

/**
 * A block no copy of which could be read and verified, as {@code zpool status
 * -v} lists "permanent errors": found by a scrub, a resilver or a read.
 *
 * @param dataset   the dataset that holds it, or {@code <metadata>} for the pool's own blocks
 * @param object    the object id within the dataset (0: the dataset's object table), or -1 for pool metadata
 * @param offset    the byte offset of the block in the object, or -1 when not a data block of an object
 * @param blockType what the block holds: data, indirect, dnodes, objset, directory, space_map, history
 * @param detail    what went wrong (checksum mismatch, I/O error on every copy)
 */
public record DataError(String dataset, long object, long offset, String blockType, String detail) {
    /** The dataset name used for the pool's own blocks. */
    public static final String METADATA = "<metadata>";

    /** As {@code zpool status -v} prints it: {@code ost0:<0x1f> offset 131072 (data)}. */
    @Override
    public String toString() {
        String where = object < 0 ? dataset : dataset + ":<0x" + Long.toHexString(object) + ">";
        return where + (offset >= 0 ? " offset " + offset : "") + " (" + blockType + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail);
    }
}
