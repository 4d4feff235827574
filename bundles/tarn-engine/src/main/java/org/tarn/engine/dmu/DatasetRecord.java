package org.tarn.engine.dmu;

import org.tarn.engine.io.BlockPointer;

/**
 * A dataset as the pool directory records it.
 *
 * @param name      the dataset's name
 * @param id        stable id, never reused
 * @param objsetBp  its object set block
 * @param createTxg the group that created it
 */
public record DatasetRecord(String name, long id, BlockPointer objsetBp, long createTxg) {
}
