import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The one bundle list, read at build time (run as a source file by the build: {@code java BundleList.java ...}).
 *
 * <p>The list is {@code dist/pom.xml}'s {@code server-bundles} execution: its {@code artifactItems}, in the order the
 * server installs and starts them. From it this writes
 * <ul>
 * <li>{@code list POM OUT}: {@code bundles.list} for the server's jar, one {@code groupId:artifactId:version} a
 * line in that order (versions as the pom spells them; Maven's resource filtering resolves them). The server, the
 * Pax Exam tests and the Karaf test read it.</li>
 * <li>{@code feature POM TEMPLATE OUT FEATURES_POM [--except a,b]}: the Karaf features descriptor, the template
 * with its {@code @server-bundles@} line replaced by a {@code <bundle>} per Tarn and Netty bundle of the list
 * (Karaf's own features bring SCR, Configuration Admin, logging and SPI Fly), less the artifactIds after
 * {@code --except}.</li>
 * </ul>
 * Both check that the module's pom ({@code POM}, or {@code FEATURES_POM}) depends on every Tarn bundle it
 * copies or names, so that a clean reactor build makes them first; a bundle added to the list alone fails
 * the build with the line to add.
 * Build-only: not compiled into any jar.
 */
public final class BundleList {
    static final String EXECUTION = "server-bundles";
    static final String MARKER = "@server-bundles@";
    static final Set<String> FEATURE_GROUPS = Set.of("org.tarn", "io.netty");

    record Item(String groupId, String artifactId, String version) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("list")) {
            List<Item> items = read(Path.of(args[1]));
            requireDependencies(items, Set.of(), Path.of(args[1]));
            writeList(items, Path.of(args[2]));
        } else if ((args.length == 5 || args.length == 7) && args[0].equals("feature")) {
            Set<String> except = args.length == 7 && args[5].equals("--except")
                    ? Set.copyOf(Arrays.asList(args[6].split(","))) : Set.of();
            List<Item> items = read(Path.of(args[1]));
            requireDependencies(items, except, Path.of(args[4]));
            writeFeature(items, Path.of(args[2]), Path.of(args[3]), except);
        } else {
            System.err.println("usage: BundleList list POM OUT | feature POM TEMPLATE OUT FEATURES_POM [--except a,b]");
            System.exit(2);
        }
    }

    /** The artifactItems of the {@value #EXECUTION} execution, in order. */
    static List<Item> read(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = f.newDocumentBuilder().parse(pom.toFile());
        NodeList executions = doc.getElementsByTagName("execution");
        for (int i = 0; i < executions.getLength(); i++) {
            Element e = (Element) executions.item(i);
            if (!EXECUTION.equals(text(e, "id"))) {
                continue;
            }
            List<Item> items = new ArrayList<>();
            NodeList ai = e.getElementsByTagName("artifactItem");
            for (int j = 0; j < ai.getLength(); j++) {
                Element a = (Element) ai.item(j);
                Item item = new Item(text(a, "groupId"), text(a, "artifactId"), text(a, "version"));
                if (item.groupId() == null || item.artifactId() == null || item.version() == null) {
                    throw new IllegalArgumentException(pom + ": artifactItem " + (j + 1) + " of execution " + EXECUTION
                            + " needs groupId, artifactId and version");
                }
                if (items.stream().anyMatch(x -> x.artifactId().equals(item.artifactId()))) {
                    throw new IllegalArgumentException(pom + ": " + item.artifactId() + " is listed twice in "
                            + EXECUTION + " (the server names its jars by artifactId)");
                }
                items.add(item);
            }
            if (items.isEmpty()) {
                throw new IllegalArgumentException(pom + ": execution " + EXECUTION + " lists no artifactItem");
            }
            return items;
        }
        throw new IllegalArgumentException(pom + " has no execution " + EXECUTION);
    }

    /** Fails unless {@code pom}'s own dependencies name every org.tarn bundle of the list (but {@code except}). */
    static void requireDependencies(List<Item> items, Set<String> except, Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Element project = f.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
        Set<String> deps = new java.util.HashSet<>();
        Element dependencies = child(project, "dependencies");
        if (dependencies != null) {
            for (Node n = dependencies.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element d && "org.tarn".equals(text(d, "groupId"))) {
                    deps.add(text(d, "artifactId"));
                }
            }
        }
        List<String> missing = items.stream().filter(i -> i.groupId().equals("org.tarn"))
                .map(Item::artifactId).filter(a -> !except.contains(a) && !deps.contains(a)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(pom + " must depend on every Tarn bundle of the bundle list, so the"
                    + " reactor builds it first; missing: " + missing + " (add <dependency><groupId>org.tarn</groupId>"
                    + "<artifactId>NAME</artifactId><scope>test</scope></dependency>, provided in features/)");
        }
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static String text(Element parent, String child) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(child)) {
                return c.getTextContent().strip();
            }
        }
        return null;
    }

    static void writeList(List<Item> items, Path out) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("# The bundles the standalone server installs into Felix, in this order, from bundles/<artifactId>.jar\n")
                .append("# next to this file; started in this order, stopped in reverse. Generated from dist/pom.xml\n")
                .append("# (execution ").append(EXECUTION).append("), the one bundle list: edit it there.\n");
        for (Item i : items) {
            s.append(i.groupId()).append(':').append(i.artifactId()).append(':').append(i.version()).append('\n');
        }
        write(out, s.toString());
    }

    static void writeFeature(List<Item> items, Path template, Path out, Set<String> except) throws IOException {
        List<String> lines = Files.readAllLines(template, StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder();
        int markers = 0;
        for (String line : lines) {
            if (!line.contains(MARKER)) {
                s.append(line).append('\n');
                continue;
            }
            markers++;
            String indent = line.substring(0, line.length() - line.stripLeading().length());
            s.append(indent).append("<!-- generated from dist/pom.xml (execution ").append(EXECUTION)
                    .append("), the one bundle list -->\n");
            for (Item i : items) {
                if (FEATURE_GROUPS.contains(i.groupId()) && !except.contains(i.artifactId())) {
                    s.append(indent).append("<bundle>mvn:").append(i.groupId()).append('/').append(i.artifactId())
                            .append('/').append(i.version()).append("</bundle>\n");
                }
            }
        }
        if (markers != 1) {
            throw new IllegalArgumentException(template + ": needs exactly one line with " + MARKER + ", has " + markers);
        }
        for (String e : except) {
            if (items.stream().noneMatch(i -> i.artifactId().equals(e))) {
                throw new IllegalArgumentException("--except " + e + ": not in the bundle list");
            }
        }
        write(out, s.toString());
    }

    private static void write(Path out, String text) throws IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, text, StandardCharsets.UTF_8);
    }
}
