package org.tarn.engine.label;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@link LabelReader} found on one leaf: each of its four labels (a
 * config or the reason it was rejected), every valid uberblock in every ring,
 * and every non-empty slot that was rejected.
 *
 * @param path          the device path
 * @param sizeBytes     the device size when read
 * @param labels        the four labels, by index
 * @param uberblocks    every valid uberblock copy, in (label, slot) order
 * @param rejectedSlots every non-empty slot that holds no valid uberblock
 */
public record DeviceLabels(String path, long sizeBytes, List<LabelCopy> labels, List<FoundUberblock> uberblocks,
                           List<RejectedSlot> rejectedSlots) {

    /**
     * One label of the device.
     *
     * @param index         0..3
     * @param offset        its byte offset (where it would be, if the device is truncated)
     * @param config        the decoded config, or null when rejected
     * @param rejection     why the config was rejected, or null when valid
     * @param ringRejection why the uberblock ring could not be read at all, or null
     */
    public record LabelCopy(int index, long offset, LabelConfig config, LabelException rejection,
                            LabelException ringRejection) {
        public LabelCopy {
            if ((config == null) == (rejection == null)) {
                throw new IllegalArgumentException("a label has either a config or a rejection");
            }
        }

        public boolean isValid() {
            return config != null;
        }

        /** "valid" or the rejection reason. */
        public String status() {
            return isValid() ? "valid" : rejection.reason();
        }
    }

    /** A valid uberblock and where it was found. */
    public record FoundUberblock(int label, int slot, long offset, Uberblock uberblock) {
        public FoundUberblock {
            Objects.requireNonNull(uberblock, "uberblock");
        }
    }

    /** A non-empty ring slot without a valid uberblock, and why. */
    public record RejectedSlot(int label, int slot, long offset, LabelException reason) {
        public RejectedSlot {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Newest first by {@link Uberblock#ORDER}, then by (label, slot). */
    private static final Comparator<FoundUberblock> NEWEST_FIRST =
            Comparator.comparing(FoundUberblock::uberblock, Uberblock.ORDER).reversed()
                    .thenComparingInt(FoundUberblock::label)
                    .thenComparingInt(FoundUberblock::slot);

    public DeviceLabels {
        Objects.requireNonNull(path, "path");
        labels = List.copyOf(labels);
        uberblocks = List.copyOf(uberblocks);
        rejectedSlots = List.copyOf(rejectedSlots);
    }

    public boolean hasValidLabel() {
        return labels.stream().anyMatch(LabelCopy::isValid);
    }

    /** The valid labels, by index. */
    public List<LabelCopy> validLabels() {
        return labels.stream().filter(LabelCopy::isValid).toList();
    }

    /** The newest valid uberblock (its first copy, by label and slot). */
    public Optional<FoundUberblock> bestUberblock() {
        return uberblocks.stream().min(NEWEST_FIRST);
    }

    /** Every valid uberblock copy, newest first. */
    public List<FoundUberblock> uberblocksNewestFirst() {
        return uberblocks.stream().sorted(NEWEST_FIRST).toList();
    }

    /**
     * The label whose config belongs with the device's uberblocks: the valid
     * copy with the highest txg that is no newer than the best uberblock (a
     * config newer than every uberblock was written by a sync whose
     * uberblocks never landed; see {@link LabelWriter}). Without such a copy,
     * or without uberblocks, the valid copy with the highest txg. Ties go to
     * the lowest label index.
     */
    public Optional<LabelCopy> bestLabel() {
        Comparator<LabelCopy> byTxg = Comparator.comparingLong((LabelCopy l) -> l.config().txg())
                .thenComparing(Comparator.comparingInt(LabelCopy::index).reversed());
        List<LabelCopy> valid = validLabels();
        Optional<FoundUberblock> ub = bestUberblock();
        if (ub.isPresent()) {
            long ubTxg = ub.get().uberblock().txg();
            Optional<LabelCopy> consistent = valid.stream()
                    .filter(l -> l.config().txg() <= ubTxg).max(byTxg);
            if (consistent.isPresent()) {
                return consistent;
            }
        }
        return valid.stream().max(byTxg);
    }

    /** The config of {@link #bestLabel()}. */
    public Optional<LabelConfig> bestConfig() {
        return bestLabel().map(LabelCopy::config);
    }

    /**
     * Why the device has no valid label, or empty if it has one. The kind is
     * the most telling of the labels' (a newer format version first, a bare
     * "not a Tarn label" last); the message lists every label's reason.
     */
    public Optional<LabelException> whyNoValidLabel() {
        if (hasValidLabel() || labels.isEmpty()) {
            return Optional.empty();
        }
        LabelException.Kind kind = labels.stream().map(l -> l.rejection().kind())
                .min(Comparator.comparingInt(DeviceLabels::telling)).orElseThrow();
        return Optional.of(new LabelException(kind, "no valid label on " + path + ": " + rejectionSummary()));
    }

    /** Each rejected label's reason, e.g. {@code "label 0: not a Tarn label; label 1: ..."}. */
    public String rejectionSummary() {
        return labels.stream().filter(l -> !l.isValid())
                .map(l -> "label " + l.index() + ": " + l.rejection().reason())
                .collect(Collectors.joining("; "));
    }

    private static int telling(LabelException.Kind kind) {
        return switch (kind) {
            case UNSUPPORTED_VERSION -> 0;
            case BAD_CHECKSUM -> 1;
            case CORRUPT -> 2;
            case BAD_LENGTH -> 3;
            case TRUNCATED -> 4;
            case IO_ERROR -> 5;
            case NOT_A_LABEL -> 6;
        };
    }
}
