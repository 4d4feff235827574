package org.tarn.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.tarn.api.BlockCacheStats;

/** The engine's ARC on its own: budget, eviction, scan resistance, keys scoped to a pool instance and a checksum. */
class ArcCacheTest {
    private static final int BLOCK = 4096;

    /** A pointer to a block of {@code contents} at {@code offset}, born in {@code txg}. */
    private static BlockPointer bp(long offset, long txg, byte[] contents) {
        return new BlockPointer(0, offset, contents.length, txg, ChecksumType.CRC32C, BlockType.DATA,
                ChecksumType.CRC32C.compute(ByteBuffer.wrap(contents)));
    }

    private static byte[] block(int seed) {
        byte[] b = new byte[BLOCK];
        Arrays.fill(b, (byte) seed);
        b[0] = (byte) (seed >> 8);
        b[1] = (byte) (seed >> 16);
        return b;
    }

    private static BlockPointer numbered(int i) {
        return bp((long) i * BLOCK, 5, block(i));
    }

    /** A read as IoPipeline does it: the cache, else "the device" and then into the cache. */
    private static boolean read(BlockCache c, int i) {
        BlockPointer p = numbered(i);
        ByteBuffer hit = c.get(p);
        if (hit != null) {
            assertThat(p.verifies(hit)).as("a hit holds the block's contents").isTrue();
            return true;
        }
        c.put(p, ByteBuffer.wrap(block(i)));
        return false;
    }

    @Test
    void eviction_at_budget_keeps_size_within_it_pos() {
        ArcCache arc = new ArcCache(16 * BLOCK);
        BlockCache c = new BlockCache(arc);
        for (int i = 0; i < 100; i++) {
            read(c, i);
            assertThat(arc.sizeBytes()).isLessThanOrEqualTo(16L * BLOCK);
        }
        BlockCacheStats s = c.stats();
        assertThat(s.sizeBytes()).isEqualTo(16L * BLOCK);
        assertThat(s.evictions()).isEqualTo(100 - 16);
        assertThat(s.misses()).isEqualTo(100);
        // the newest stay, the oldest went
        assertThat(read(c, 99)).isTrue();
        assertThat(read(c, 0)).isFalse();
    }

    @Test
    void one_pass_scan_larger_than_budget_does_not_evict_the_hot_set_pos() {
        ArcCache arc = new ArcCache(64 * BLOCK);
        BlockCache c = new BlockCache(arc);
        int hot = 16;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < hot; i++) {
                read(c, i);
            }
        }
        // a scan of ten budgets' worth of blocks, each read once
        for (int i = 1000; i < 1000 + 640; i++) {
            assertThat(read(c, i)).isFalse();
        }
        for (int i = 0; i < hot; i++) {
            assertThat(read(c, i)).as("hot block %d after the scan", i).isTrue();
        }
        assertThat(arc.sizeBytes()).isLessThanOrEqualTo(64L * BLOCK);
    }

    @Test
    void lru_without_the_mfu_list_would_lose_the_hot_set_neg() {
        // the same scan against a budget the hot set plus the scan do not fit: only the ARC lists keep it,
        // an entry read once (MRU only) is gone after the scan
        ArcCache arc = new ArcCache(64 * BLOCK);
        BlockCache c = new BlockCache(arc);
        read(c, 1); // once: MRU
        for (int i = 1000; i < 1000 + 640; i++) {
            read(c, i);
        }
        assertThat(read(c, 1)).isFalse();
    }

    @Test
    void ghost_hit_on_mru_ghosts_brings_the_block_back_into_mfu_pos() {
        ArcCache arc = new ArcCache(8 * BLOCK);
        BlockCache c = new BlockCache(arc);
        for (int i = 0; i < 4; i++) {
            read(c, i);
            read(c, i); // twice: MFU
        }
        for (int i = 10; i < 20; i++) {
            read(c, i); // once each: MRU holds 4 of them, the ones before leave ghosts
        }
        long[] before = arc.listBytes();
        assertThat(before[0]).as("MRU bytes").isEqualTo(4L * BLOCK);
        assertThat(before[1]).as("MFU bytes").isEqualTo(4L * BLOCK);
        assertThat(before[2]).as("MRU ghost bytes").isEqualTo(4L * BLOCK);
        assertThat(read(c, 15)).as("15 is a ghost, not resident").isFalse();
        long[] after = arc.listBytes();
        assertThat(after[1]).as("the ghost hit came back into MFU").isEqualTo(5L * BLOCK);
        assertThat(after[0] + after[1]).isEqualTo(8L * BLOCK);
        assertThat(read(c, 15)).isTrue();
        for (int i = 0; i < 4; i++) {
            assertThat(read(c, i)).isTrue();
        }
    }

    @Test
    void two_pools_share_one_budget_pos() {
        ArcCache arc = new ArcCache(32 * BLOCK);
        BlockCache a = new BlockCache(arc);
        BlockCache b = new BlockCache(arc);
        for (int i = 0; i < 32; i++) {
            read(a, i);
        }
        assertThat(a.stats().sizeBytes()).isEqualTo(32L * BLOCK);
        for (int i = 100; i < 120; i++) {
            read(b, i);
        }
        assertThat(arc.sizeBytes()).isEqualTo(32L * BLOCK);
        assertThat(a.stats().sizeBytes() + b.stats().sizeBytes()).isEqualTo(arc.sizeBytes());
        assertThat(b.stats().sizeBytes()).isEqualTo(20L * BLOCK);
        assertThat(a.stats().evictions()).as("pool a paid for pool b's blocks").isEqualTo(20);
        assertThat(arc.stats().evictions()).isEqualTo(20);
        assertThat(arc.stats().budgetBytes()).isEqualTo(32L * BLOCK);
    }

    @Test
    void another_pool_instance_never_sees_an_entry_neg() {
        ArcCache arc = new ArcCache(32 * BLOCK);
        BlockCache before = new BlockCache(arc);
        BlockCache rewound = new BlockCache(arc);
        read(before, 7);
        assertThat(read(before, 7)).isTrue();
        assertThat(rewound.get(numbered(7))).as("same pointer, another import").isNull();
    }

    @Test
    void same_address_and_birth_with_other_contents_misses_neg() {
        BlockCache c = new BlockCache(new ArcCache(32 * BLOCK));
        byte[] old = block(1);
        byte[] other = block(2);
        c.put(bp(8192, 9, old), ByteBuffer.wrap(old));
        assertThat(c.get(bp(8192, 9, other))).as("the checksum is part of the key").isNull();
        ByteBuffer hit = c.get(bp(8192, 9, old));
        assertThat(hit).isNotNull();
        assertThat(hit.isReadOnly()).isTrue();
    }

    @Test
    void drop_pool_frees_only_its_share_pos() {
        ArcCache arc = new ArcCache(32 * BLOCK);
        BlockCache a = new BlockCache(arc);
        BlockCache b = new BlockCache(arc);
        for (int i = 0; i < 10; i++) {
            read(a, i);
            read(a, i);
            read(b, i + 100);
        }
        a.clear();
        assertThat(a.stats().sizeBytes()).isZero();
        assertThat(arc.sizeBytes()).isEqualTo(10L * BLOCK);
        assertThat(read(b, 105)).isTrue();
        assertThat(read(a, 5)).isFalse();
    }

    @Test
    void block_larger_than_the_budget_is_not_cached_neg() {
        ArcCache arc = new ArcCache(BLOCK - 1);
        BlockCache c = new BlockCache(arc);
        read(c, 1);
        assertThat(arc.sizeBytes()).isZero();
        assertThat(read(c, 1)).isFalse();
        BlockCache off = new BlockCache(new ArcCache(0));
        read(off, 1);
        assertThat(read(off, 1)).as("budget 0: no cache").isFalse();
    }

    @Test
    void written_buffer_is_kept_without_a_copy_only_when_it_is_a_whole_array_pos() {
        BlockCache c = new BlockCache(new ArcCache(32 * BLOCK));
        byte[] whole = block(3);
        c.putWritten(numbered(3), ByteBuffer.wrap(whole));
        // breaking the hand-over contract on purpose, to see that the cache holds this very array
        whole[10] = 42;
        assertThat(c.get(numbered(3)).get(10)).isEqualTo((byte) 42);
        byte[] bigger = new byte[2 * BLOCK];
        System.arraycopy(block(4), 0, bigger, 0, BLOCK);
        c.putWritten(numbered(4), ByteBuffer.wrap(bigger, 0, BLOCK));
        bigger[10] = 42;
        assertThat(c.get(numbered(4)).get(10)).as("a part of an array is copied, so the budget counts what is kept")
                .isEqualTo((byte) 4);
        assertThat(c.stats().sizeBytes()).isEqualTo(2L * BLOCK);
    }
}
