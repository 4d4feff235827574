package org.tarn.engine.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.tarn.engine.label.NvList;

/**
 * The cache file: which pools this engine had imported, and on which
 * devices, so a restart imports them again without scanning.
 *
 * <p>It is rewritten whole after every create, import, export and force
 * export: written to a temporary file, forced, renamed over the old one, and
 * the directory forced, so a crash leaves either the old or the new list. It
 * grants nothing: every pool it names is imported with the same in-use checks
 * as any import, so it can never bring a pool up on two hosts.
 */
public final class CacheFile {
    /** One cached pool. */
    public record Entry(String name, long guid, List<String> devices) {
        public Entry {
            devices = List.copyOf(devices);
        }
    }

    private CacheFile() {
    }

    public static void write(Path file, List<Entry> entries) throws IOException {
        List<NvList> pools = new ArrayList<>();
        for (Entry e : entries) {
            NvList devs = new NvList();
            for (int i = 0; i < e.devices().size(); i++) {
                devs.putString(Integer.toString(i), e.devices().get(i));
            }
            pools.add(new NvList().putString("name", e.name()).putLong("guid", e.guid()).putNvList("devices", devs));
        }
        byte[] bytes = new NvList().putLong("version", 1).putNvLists("pools", pools).encode();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // some file systems cannot open a directory for sync; the rename is still atomic
        }
    }

    /** The cached pools; an absent file is an empty cache. */
    public static List<Entry> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        NvList nv = NvList.decode(Files.readAllBytes(file));
        List<Entry> out = new ArrayList<>();
        for (NvList p : nv.getNvLists("pools")) {
            NvList devs = p.getNvList("devices");
            List<String> paths = new ArrayList<>();
            for (String k : devs.names()) {
                paths.add(devs.getString(k));
            }
            out.add(new Entry(p.getString("name"), p.getLong("guid"), paths));
        }
        return out;
    }
}
