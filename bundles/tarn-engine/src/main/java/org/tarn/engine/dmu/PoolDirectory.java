package org.tarn.engine.dmu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.engine.io.BlockPointer;
import org.tarn.engine.label.NvList;
import org.tarn.engine.label.NvListException;

/**
 * The pool directory: the block the uberblock points at. It names everything
 * else: properties, datasets, space-map chunks and deferred frees. Encoded as
 * an {@link NvList} behind a length prefix, padded to its block.
 *
 * @param txg           the group that wrote it
 * @param properties    pool properties
 * @param nextDatasetId next dataset id to hand out
 * @param datasets      every dataset with its object set block
 * @param spaceMaps     per top-level vdev, the pointer of each space-map chunk
 * @param deferred      frees not yet returned to the space maps
 * @param dtls          per leaf GUID, the txg ranges {@code {lo, hi}} that leaf missed (its dirty time log);
 *                      leaves that hold every txg are absent. Pools written before DTLs existed have none.
 * @param scan          the state of the pool's scrub or resilver (owned by the pool layer), or empty
 * @param historyBp     the block holding the pool's command history, or a hole
 * @param localProperties the names of the properties set on the pool (the others hold the engine's
 *                      defaults), sorted; null when the pool was written before the directory kept them
 */
public record PoolDirectory(long txg, Map<String, String> properties, long nextDatasetId,
                            List<DatasetRecord> datasets, List<List<BlockPointer>> spaceMaps,
                            List<DeferredFree> deferred, Map<Long, List<long[]>> dtls, NvList scan,
                            BlockPointer historyBp, List<String> localProperties) {

    public PoolDirectory {
        localProperties = localProperties == null ? null : List.copyOf(new java.util.TreeSet<>(localProperties));
        dtls = Map.copyOf(dtls);
        scan = scan == null ? new NvList() : scan;
        historyBp = historyBp == null ? BlockPointer.HOLE : historyBp;
    }

    /** A directory without DTLs, scan state or history (as pools before them were written). */
    public PoolDirectory(long txg, Map<String, String> properties, long nextDatasetId, List<DatasetRecord> datasets,
                         List<List<BlockPointer>> spaceMaps, List<DeferredFree> deferred) {
        this(txg, properties, nextDatasetId, datasets, spaceMaps, deferred, Map.of(), new NvList(),
                BlockPointer.HOLE, null);
    }

    public ByteBuffer encode() {
        NvList props = new NvList();
        properties.forEach(props::putString);
        List<NvList> ds = new ArrayList<>();
        for (DatasetRecord r : datasets) {
            ds.add(new NvList().putString("name", r.name()).putLong("id", r.id())
                    .putBytes("objset", bytes(List.of(r.objsetBp()))).putLong("create_txg", r.createTxg()));
        }
        List<NvList> maps = new ArrayList<>();
        for (List<BlockPointer> chunks : spaceMaps) {
            maps.add(new NvList().putBytes("chunks", bytes(chunks)));
        }
        long[] frees = new long[deferred.size() * 4];
        for (int i = 0; i < deferred.size(); i++) {
            DeferredFree f = deferred.get(i);
            frees[i * 4] = f.txg();
            frees[i * 4 + 1] = f.vdev();
            frees[i * 4 + 2] = f.offset();
            frees[i * 4 + 3] = f.sizeBytes();
        }
        NvList nv = new NvList().putLong("txg", txg).putNvList("properties", props)
                .putLong("next_dataset_id", nextDatasetId).putNvLists("datasets", ds)
                .putNvLists("space_maps", maps).putLongs("deferred_frees", frees);
        if (!dtls.isEmpty()) {
            List<Long> triples = new ArrayList<>();
            dtls.forEach((guid, ranges) -> ranges.forEach(r -> {
                triples.add(guid);
                triples.add(r[0]);
                triples.add(r[1]);
            }));
            nv.putLongList("dtl", triples);
        }
        if (!scan.isEmpty()) {
            nv.putNvList("scan", scan);
        }
        if (!historyBp.isHole()) {
            nv.putBytes("history", bytes(List.of(historyBp)));
        }
        if (localProperties != null) {
            NvList local = new NvList();
            localProperties.forEach(k -> local.putString(k, "local"));
            nv.putNvList("property_sources", local);
        }
        byte[] enc = nv.encode();
        ByteBuffer out = ByteBuffer.allocate(4 + enc.length);
        out.putInt(enc.length).put(enc);
        return out.flip();
    }

    public static PoolDirectory decode(ByteBuffer block) {
        try {
            ByteBuffer in = block.duplicate();
            int len = in.getInt();
            if (len < 0 || len > in.remaining()) {
                throw new NvListException("directory length " + len + " exceeds its block");
            }
            byte[] enc = new byte[len];
            in.get(enc);
            NvList nv = NvList.decode(enc);
            Map<String, String> props = new LinkedHashMap<>();
            NvList p = nv.getNvList("properties");
            for (String k : p.names()) {
                props.put(k, p.getString(k));
            }
            List<DatasetRecord> ds = new ArrayList<>();
            for (NvList d : nv.getNvLists("datasets")) {
                ds.add(new DatasetRecord(d.getString("name"), d.getLong("id"),
                        pointers(d.getBytes("objset")).get(0), d.getLong("create_txg")));
            }
            List<List<BlockPointer>> maps = new ArrayList<>();
            for (NvList m : nv.getNvLists("space_maps")) {
                maps.add(pointers(m.getBytes("chunks")));
            }
            long[] f = nv.getLongs("deferred_frees");
            List<DeferredFree> frees = new ArrayList<>();
            for (int i = 0; i + 3 < f.length; i += 4) {
                frees.add(new DeferredFree(f[i], (int) f[i + 1], f[i + 2], (int) f[i + 3]));
            }
            Map<Long, List<long[]>> dtls = new LinkedHashMap<>();
            if (nv.contains("dtl")) {
                long[] t = nv.getLongs("dtl");
                for (int i = 0; i + 2 < t.length; i += 3) {
                    dtls.computeIfAbsent(t[i], g -> new ArrayList<>()).add(new long[] {t[i + 1], t[i + 2]});
                }
            }
            NvList scan = nv.contains("scan") ? nv.getNvList("scan") : new NvList();
            BlockPointer history = nv.contains("history") ? pointers(nv.getBytes("history")).get(0)
                    : BlockPointer.HOLE;
            List<String> local = nv.contains("property_sources")
                    ? List.copyOf(nv.getNvList("property_sources").names()) : null;
            return new PoolDirectory(nv.getLong("txg"), props, nv.getLong("next_dataset_id"), ds, maps, frees,
                    dtls, scan, history, local);
        } catch (RuntimeException e) {
            throw new TarnException(ErrorCode.CHECKSUM_MISMATCH, "pool directory is damaged: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(List<BlockPointer> bps) {
        ByteBuffer b = ByteBuffer.allocate(bps.size() * BlockPointer.BYTES);
        bps.forEach(bp -> bp.encode(b));
        return b.array();
    }

    private static List<BlockPointer> pointers(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw);
        List<BlockPointer> out = new ArrayList<>();
        while (b.remaining() >= BlockPointer.BYTES) {
            out.add(BlockPointer.decode(b));
        }
        return out;
    }
}
