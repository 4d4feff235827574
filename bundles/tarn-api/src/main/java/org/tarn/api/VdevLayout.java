package org.tarn.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a new pool, written as {@code zpool create} takes it:
 * {@code "mirror d1 d2 mirror d3 d4"} (two top-level mirrors) or
 * {@code "d1 d2"} (two plain top-level devices), or a mix; hot spares
 * follow the keyword {@code spare}: {@code "mirror d1 d2 spare d3"}.
 *
 * @param topLevel the top-level vdevs in order (may be empty when only spares are given, for an add)
 * @param spares   hot spare devices
 */
public record VdevLayout(List<TopLevel> topLevel, List<String> spares) {

    /**
     * One top-level vdev.
     *
     * @param mirror  whether it mirrors its devices
     * @param devices the device paths; exactly one when not a mirror
     */
    public record TopLevel(boolean mirror, List<String> devices) {
        public TopLevel {
            devices = List.copyOf(devices);
        }
    }

    public VdevLayout {
        topLevel = List.copyOf(topLevel);
        spares = spares == null ? List.of() : List.copyOf(spares);
    }

    /** A layout without spares. */
    public VdevLayout(List<TopLevel> topLevel) {
        this(topLevel, List.of());
    }

    /**
     * Parses a layout in {@code zpool create} syntax.
     *
     * @throws TarnException {@link ErrorCode#INVALID_ARGUMENT} when empty, when a
     *     mirror has fewer than two devices, or when a device appears twice
     */
    public static VdevLayout parse(String spec) {
        String[] words = spec == null ? new String[0] : spec.trim().split("\\s+");
        List<TopLevel> result = new ArrayList<>();
        List<String> spares = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        int i = 0;
        while (i < words.length && !words[i].isEmpty()) {
            if (words[i].equals("spare")) {
                i++;
                int before = spares.size();
                while (i < words.length && !words[i].equals("mirror") && !words[i].equals("spare")) {
                    spares.add(words[i++]);
                }
                if (spares.size() == before) {
                    throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                            "'spare' needs at least one device in layout '" + spec + "'");
                }
            } else if (words[i].equals("mirror")) {
                List<String> devices = new ArrayList<>();
                i++;
                while (i < words.length && !words[i].equals("mirror") && !words[i].equals("spare")) {
                    devices.add(words[i++]);
                }
                if (devices.size() < 2) {
                    throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                            "a mirror needs at least two devices in layout '" + spec + "'");
                }
                result.add(new TopLevel(true, devices));
            } else {
                result.add(new TopLevel(false, List.of(words[i++])));
            }
        }
        if (result.isEmpty() && spares.isEmpty()) {
            throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                    "empty layout: give devices, e.g. 'mirror /d1 /d2' or '/d1 /d2'");
        }
        List<String> all = new ArrayList<>();
        result.forEach(t -> all.addAll(t.devices()));
        all.addAll(spares);
        for (String device : all) {
            if (seen.contains(device)) {
                throw new TarnException(ErrorCode.INVALID_ARGUMENT,
                        "device '" + device + "' appears twice in layout '" + spec + "'");
            }
            seen.add(device);
        }
        return new VdevLayout(result, spares);
    }

    /** All device paths of the top-level vdevs in layout order (not the spares). */
    public List<String> devices() {
        List<String> all = new ArrayList<>();
        topLevel.forEach(t -> all.addAll(t.devices()));
        return all;
    }

    /** Every device path: top-level vdevs in layout order, then the spares. */
    public List<String> allDevices() {
        List<String> all = devices();
        all.addAll(spares);
        return all;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (TopLevel t : topLevel) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            if (t.mirror()) {
                sb.append("mirror ");
            }
            sb.append(String.join(" ", t.devices()));
        }
        if (!spares.isEmpty()) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append("spare ").append(String.join(" ", spares));
        }
        return sb.toString();
    }
}
