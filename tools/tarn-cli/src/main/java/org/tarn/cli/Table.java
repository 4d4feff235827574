package org.tarn.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Columns as {@code zpool} prints them: a header and aligned columns separated
 * by two spaces (numbers right-aligned), or in scripted mode ({@code -H}) no
 * header and one tab between fields.
 */
final class Table {
    private final List<String> headers;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /** A header ending in {@code >} (which is not printed) is right-aligned. */
    Table(String... headers) {
        this.headers = new ArrayList<>();
        this.rightAligned = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            rightAligned[i] = headers[i].endsWith(">");
            this.headers.add(rightAligned[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i]);
        }
    }

    Table row(Object... cells) {
        List<String> row = new ArrayList<>();
        for (Object c : cells) {
            row.add(c == null ? "-" : c.toString());
        }
        rows.add(row);
        return this;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    void print(PrintWriter out, boolean scripted) {
        if (scripted) {
            rows.forEach(r -> out.println(String.join("\t", r)));
            out.flush();
            return;
        }
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        line(out, headers, width);
        rows.forEach(r -> line(out, r, width));
        out.flush();
    }

    private void line(PrintWriter out, List<String> cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            boolean last = i == cells.size() - 1;
            String cell = cells.get(i);
            String pad = " ".repeat(width[i] - cell.length());
            if (rightAligned[i]) {
                sb.append(pad).append(cell);
            } else {
                sb.append(cell).append(last ? "" : pad);
            }
            if (!last) {
                sb.append("  ");
            }
        }
        out.println(sb);
    }
}
