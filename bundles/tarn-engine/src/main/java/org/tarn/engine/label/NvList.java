package org.tarn.engine.label;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An ordered list of named, typed values: Tarn's counterpart of the ZFS
 * {@code nvlist}. Labels keep the pool configuration in one, and the engine
 * keeps its on-disk pool directory in them, so the codec is general.
 *
 * <p>Names are unique; putting an existing name replaces its value in place.
 * Values are copied in and out (nested lists, arrays), so an {@code NvList}
 * never shares mutable state with its caller and can never contain itself.
 * Equality is by name and value, independent of order.
 *
 * <p>Encoding, big-endian:
 * <pre>
 *   top level     u8 encoding version (1), then a list
 *   list          i32 count, then count pairs
 *   pair          u8 type id, u16 name length, name (UTF-8), value
 *   LONG          i64
 *   STRING        i32 length, UTF-8 bytes
 *   BOOLEAN       u8 0 or 1
 *   BYTES         i32 length, bytes
 *   NVLIST        a list
 *   NVLIST_ARRAY  i32 count, then count lists
 *   LONG_ARRAY    i32 count, then count i64
 * </pre>
 * {@link #decode} trusts nothing: every length is checked against the bytes
 * that remain before anything is allocated, nesting is bounded by
 * {@link #MAX_DEPTH}, names must be unique and strings valid UTF-8. A corrupt
 * or truncated encoding raises {@link NvListException}; nothing else escapes.
 */
public final class NvList {

    /** The value types; {@link #id} is what the encoding stores, never renumber. */
    public enum Type {
        LONG(1), STRING(2), BOOLEAN(3), BYTES(4), NVLIST(5), NVLIST_ARRAY(6), LONG_ARRAY(7);

        private final int id;

        Type(int id) {
            this.id = id;
        }

        public int id() {
            return id;
        }

        static Type byId(int id) {
            for (Type t : values()) {
                if (t.id == id) {
                    return t;
                }
            }
            return null;
        }
    }

    /** Version byte at the start of every top-level encoding. */
    public static final int ENCODING_VERSION = 1;
    /** Deepest nesting of lists accepted, by put and by decode. */
    public static final int MAX_DEPTH = 32;
    /** Longest name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;

    /** Smallest encoded pair: type, name length, a one-byte name, a one-byte value. */
    private static final int MIN_PAIR_BYTES = 1 + 2 + 1 + 1;
    /** Smallest encoded list: its count. */
    private static final int MIN_LIST_BYTES = 4;

    private final LinkedHashMap<String, Object> values = new LinkedHashMap<>();

    public NvList() {
    }

    /** A deep copy. */
    public NvList copy() {
        NvList c = new NvList();
        values.forEach((name, value) -> c.values.put(name, copyValue(value)));
        return c;
    }

    // ------------------------------------------------------------------ put

    public NvList putLong(String name, long value) {
        return put(name, value);
    }

    public NvList putString(String name, String value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        checkUtf8(value, "value of '" + name + "'");
        return put(name, value);
    }

    public NvList putBoolean(String name, boolean value) {
        return put(name, value);
    }

    public NvList putBytes(String name, byte[] value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        return put(name, value.clone());
    }

    public NvList putNvList(String name, NvList value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        checkDepth(value, name);
        return put(name, value.copy());
    }

    public NvList putNvLists(String name, List<NvList> value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        List<NvList> copy = new ArrayList<>(value.size());
        for (NvList nv : value) {
            Objects.requireNonNull(nv, () -> "element of '" + name + "'");
            checkDepth(nv, name);
            copy.add(nv.copy());
        }
        return put(name, Collections.unmodifiableList(copy));
    }

    public NvList putLongs(String name, long... value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        return put(name, value.clone());
    }

    public NvList putLongList(String name, List<Long> value) {
        Objects.requireNonNull(value, () -> "value of '" + name + "'");
        long[] a = new long[value.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = Objects.requireNonNull(value.get(i), () -> "element of '" + name + "'");
        }
        return put(name, a);
    }

    /** Removes {@code name}; returns whether it was present. */
    public boolean remove(String name) {
        return values.remove(name) != null;
    }

    private NvList put(String name, Object value) {
        checkName(name);
        values.put(name, value);
        return this;
    }

    // ------------------------------------------------------------------ get

    public long getLong(String name) {
        return (Long) get(name, Type.LONG);
    }

    public long getLong(String name, long defaultValue) {
        return contains(name) ? getLong(name) : defaultValue;
    }

    public String getString(String name) {
        return (String) get(name, Type.STRING);
    }

    public String getString(String name, String defaultValue) {
        return contains(name) ? getString(name) : defaultValue;
    }

    public boolean getBoolean(String name) {
        return (Boolean) get(name, Type.BOOLEAN);
    }

    public boolean getBoolean(String name, boolean defaultValue) {
        return contains(name) ? getBoolean(name) : defaultValue;
    }

    public byte[] getBytes(String name) {
        return ((byte[]) get(name, Type.BYTES)).clone();
    }

    public NvList getNvList(String name) {
        return ((NvList) get(name, Type.NVLIST)).copy();
    }

    /** The nested list, or an empty one when {@code name} is absent. */
    public NvList getNvListOrEmpty(String name) {
        return contains(name) ? getNvList(name) : new NvList();
    }

    @SuppressWarnings("unchecked")
    public List<NvList> getNvLists(String name) {
        List<NvList> stored = (List<NvList>) get(name, Type.NVLIST_ARRAY);
        List<NvList> out = new ArrayList<>(stored.size());
        stored.forEach(nv -> out.add(nv.copy()));
        return out;
    }

    public long[] getLongs(String name) {
        return ((long[]) get(name, Type.LONG_ARRAY)).clone();
    }

    public List<Long> getLongList(String name) {
        long[] a = (long[]) get(name, Type.LONG_ARRAY);
        List<Long> out = new ArrayList<>(a.length);
        for (long v : a) {
            out.add(v);
        }
        return out;
    }

    public boolean contains(String name) {
        return values.containsKey(name);
    }

    /** The type of the value named {@code name}, if present. */
    public Optional<Type> typeOf(String name) {
        Object v = values.get(name);
        return v == null ? Optional.empty() : Optional.of(typeOfValue(v));
    }

    /** The names, in insertion order. */
    public List<String> names() {
        return List.copyOf(values.keySet());
    }

    public int size() {
        return values.size();
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    private Object get(String name, Type expected) {
        Object v = values.get(name);
        if (v == null) {
            throw new NvListException("no value named '" + name + "'");
        }
        Type actual = typeOfValue(v);
        if (actual != expected) {
            throw new NvListException("value '" + name + "' is a " + actual + ", not a " + expected);
        }
        return v;
    }

    // ------------------------------------------------------------------ encode

    /** The encoding of this list, starting with the encoding version byte. */
    public byte[] encode() {
        Encoder out = new Encoder();
        out.write(ENCODING_VERSION);
        encodeList(out, this);
        return out.toByteArray();
    }

    private static void encodeList(Encoder out, NvList nv) {
        out.writeInt(nv.values.size());
        for (Map.Entry<String, Object> e : nv.values.entrySet()) {
            Type type = typeOfValue(e.getValue());
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.write(type.id());
            out.writeShort(name.length);
            out.write(name);
            encodeValue(out, type, e.getValue());
        }
    }

    @SuppressWarnings("unchecked")
    private static void encodeValue(Encoder out, Type type, Object v) {
        switch (type) {
            case LONG -> out.writeLong((Long) v);
            case STRING -> {
                byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
            case BOOLEAN -> out.write((Boolean) v ? 1 : 0);
            case BYTES -> {
                byte[] b = (byte[]) v;
                out.writeInt(b.length);
                out.write(b);
            }
            case NVLIST -> encodeList(out, (NvList) v);
            case NVLIST_ARRAY -> {
                List<NvList> lists = (List<NvList>) v;
                out.writeInt(lists.size());
                lists.forEach(nv -> encodeList(out, nv));
            }
            case LONG_ARRAY -> {
                long[] a = (long[]) v;
                out.writeInt(a.length);
                for (long x : a) {
                    out.writeLong(x);
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    // ------------------------------------------------------------------ decode

    /**
     * Decodes one list from the remaining bytes of {@code in}, leaving its
     * position just after the list (bytes after it, such as padding, are the
     * caller's to judge).
     *
     * @throws NvListException if the encoding is corrupt or truncated
     */
    public static NvList decode(ByteBuffer in) {
        ByteBuffer buf = in.slice();
        try {
            int version = u8(buf, "encoding version");
            if (version != ENCODING_VERSION) {
                throw corrupt(buf, "encoding version " + version + " is not supported (expected "
                        + ENCODING_VERSION + ")");
            }
            NvList nv = decodeList(buf, 1);
            in.position(in.position() + buf.position());
            return nv;
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new NvListException("nvlist is truncated at byte " + buf.position(), e);
        }
    }

    /** Decodes a whole array: the list must end exactly at its end. */
    public static NvList decode(byte[] encoded) {
        ByteBuffer buf = ByteBuffer.wrap(encoded);
        NvList nv = decode(buf);
        if (buf.hasRemaining()) {
            throw new NvListException("nvlist is followed by " + buf.remaining() + " unexpected bytes");
        }
        return nv;
    }

    private static NvList decodeList(ByteBuffer buf, int depth) {
        if (depth > MAX_DEPTH) {
            throw corrupt(buf, "lists nested deeper than " + MAX_DEPTH);
        }
        int count = count(buf, MIN_PAIR_BYTES, "pair count");
        NvList nv = new NvList();
        for (int i = 0; i < count; i++) {
            int typeId = u8(buf, "value type");
            Type type = Type.byId(typeId);
            if (type == null) {
                throw corrupt(buf, "unknown value type " + typeId);
            }
            need(buf, 2, "name length");
            int nameLength = Short.toUnsignedInt(buf.getShort());
            if (nameLength == 0 || nameLength > MAX_NAME_BYTES) {
                throw corrupt(buf, "name length " + nameLength + " is out of range 1.." + MAX_NAME_BYTES);
            }
            String name = utf8(buf, nameLength, "name");
            if (nv.values.containsKey(name)) {
                throw corrupt(buf, "duplicate name '" + name + "'");
            }
            nv.values.put(name, decodeValue(buf, type, name, depth));
        }
        return nv;
    }

    private static Object decodeValue(ByteBuffer buf, Type type, String name, int depth) {
        String what = "value of '" + name + "'";
        return switch (type) {
            case LONG -> {
                need(buf, 8, what);
                yield buf.getLong();
            }
            case STRING -> utf8(buf, count(buf, 1, "length of " + what), what);
            case BOOLEAN -> {
                int b = u8(buf, what);
                if (b > 1) {
                    throw corrupt(buf, what + " is " + b + ", not a boolean");
                }
                yield b == 1;
            }
            case BYTES -> {
                byte[] b = new byte[count(buf, 1, "length of " + what)];
                buf.get(b);
                yield b;
            }
            case NVLIST -> decodeList(buf, depth + 1);
            case NVLIST_ARRAY -> {
                int n = count(buf, MIN_LIST_BYTES, "element count of " + what);
                List<NvList> lists = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    lists.add(decodeList(buf, depth + 1));
                }
                yield Collections.unmodifiableList(lists);
            }
            case LONG_ARRAY -> {
                long[] a = new long[count(buf, 8, "element count of " + what)];
                for (int i = 0; i < a.length; i++) {
                    a[i] = buf.getLong();
                }
                yield a;
            }
        };
    }

    /** Reads a count of items, each at least {@code minItemBytes} long, that must fit in what remains. */
    private static int count(ByteBuffer buf, int minItemBytes, String what) {
        need(buf, 4, what);
        int n = buf.getInt();
        if (n < 0 || (long) n * minItemBytes > buf.remaining()) {
            throw corrupt(buf, what + " " + n + " does not fit in the " + buf.remaining() + " bytes left");
        }
        return n;
    }

    private static int u8(ByteBuffer buf, String what) {
        need(buf, 1, what);
        return Byte.toUnsignedInt(buf.get());
    }

    private static void need(ByteBuffer buf, int bytes, String what) {
        if (buf.remaining() < bytes) {
            throw new NvListException("nvlist is truncated at byte " + buf.position() + ": " + what
                    + " needs " + bytes + " bytes, " + buf.remaining() + " left");
        }
    }

    private static String utf8(ByteBuffer buf, int length, String what) {
        need(buf, length, what);
        ByteBuffer bytes = buf.slice().limit(length);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
            buf.position(buf.position() + length);
            return s;
        } catch (CharacterCodingException e) {
            throw corrupt(buf, what + " is not valid UTF-8");
        }
    }

    private static NvListException corrupt(ByteBuffer buf, String why) {
        return new NvListException("nvlist is corrupt at byte " + buf.position() + ": " + why);
    }

    // ------------------------------------------------------------------ helpers

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an nvlist name must not be empty");
        }
        checkUtf8(name, "name '" + name + "'");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("nvlist name '" + name.substring(0, 32)
                    + "...' is longer than " + MAX_NAME_BYTES + " bytes");
        }
    }

    private static void checkUtf8(String s, String what) {
        try {
            StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " cannot be encoded as UTF-8 (unpaired surrogate?)");
        }
    }

    private void checkDepth(NvList nested, String name) {
        if (nested.depth() + 1 > MAX_DEPTH) {
            throw new IllegalArgumentException("nvlist '" + name + "' would nest deeper than " + MAX_DEPTH);
        }
    }

    /** 1 for a list without nested lists. */
    @SuppressWarnings("unchecked")
    private int depth() {
        int d = 0;
        for (Object v : values.values()) {
            if (v instanceof NvList nv) {
                d = Math.max(d, nv.depth());
            } else if (v instanceof List<?> l) {
                for (NvList nv : (List<NvList>) l) {
                    d = Math.max(d, nv.depth());
                }
            }
        }
        return d + 1;
    }

    private static Type typeOfValue(Object v) {
        if (v instanceof Long) {
            return Type.LONG;
        } else if (v instanceof String) {
            return Type.STRING;
        } else if (v instanceof Boolean) {
            return Type.BOOLEAN;
        } else if (v instanceof byte[]) {
            return Type.BYTES;
        } else if (v instanceof NvList) {
            return Type.NVLIST;
        } else if (v instanceof List<?>) {
            return Type.NVLIST_ARRAY;
        } else if (v instanceof long[]) {
            return Type.LONG_ARRAY;
        }
        throw new AssertionError(v.getClass());
    }

    @SuppressWarnings("unchecked")
    private static Object copyValue(Object v) {
        if (v instanceof byte[] b) {
            return b.clone();
        } else if (v instanceof long[] a) {
            return a.clone();
        } else if (v instanceof NvList nv) {
            return nv.copy();
        } else if (v instanceof List<?> l) {
            List<NvList> c = new ArrayList<>(l.size());
            ((List<NvList>) l).forEach(nv -> c.add(nv.copy()));
            return Collections.unmodifiableList(c);
        }
        return v;
    }

    private static boolean valueEquals(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        } else if (a instanceof long[] x && b instanceof long[] y) {
            return Arrays.equals(x, y);
        }
        return a.equals(b);
    }

    private static int valueHash(Object v) {
        if (v instanceof byte[] b) {
            return Arrays.hashCode(b);
        } else if (v instanceof long[] a) {
            return Arrays.hashCode(a);
        }
        return v.hashCode();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NvList other) || other.values.size() != values.size()) {
            return false;
        }
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object theirs = other.values.get(e.getKey());
            if (theirs == null || !valueEquals(e.getValue(), theirs)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            h += e.getKey().hashCode() ^ valueHash(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((name, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(name).append('=');
            if (v instanceof String s) {
                sb.append('\'').append(s).append('\'');
            } else if (v instanceof byte[] b) {
                sb.append("0x").append(HexFormat.of().formatHex(b, 0, Math.min(b.length, 32)))
                        .append(b.length > 32 ? "...(" + b.length + " bytes)" : "");
            } else if (v instanceof long[] a) {
                sb.append(Arrays.toString(a));
            } else {
                sb.append(v);
            }
        });
        return sb.append('}').toString();
    }

    /** A growable big-endian byte sink; never throws. */
    private static final class Encoder extends ByteArrayOutputStream {
        Encoder() {
            super(256);
        }

        void writeShort(int v) {
            write(v >>> 8);
            write(v);
        }

        void writeInt(int v) {
            writeShort(v >>> 16);
            writeShort(v & 0xFFFF);
        }

        void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        @Override
        public void write(byte[] b) {
            write(b, 0, b.length);
        }
    }
}
