package org.tarn.engine.label;

import java.util.List;

/** Which labels of a leaf a config update writes; see {@link LabelWriter} for why they are split. */
public enum LabelSet {
    /** Labels 0 and 2: written before the uberblocks. */
    EVEN(LabelLayout.EVEN_LABELS),
    /** Labels 1 and 3: written after the uberblocks. */
    ODD(LabelLayout.ODD_LABELS),
    /** All four, in index order. */
    ALL(List.of(0, 1, 2, 3));

    private final List<Integer> indexes;

    LabelSet(List<Integer> indexes) {
        this.indexes = indexes;
    }

    /** The label indexes, ascending. */
    public List<Integer> indexes() {
        return indexes;
    }
}
