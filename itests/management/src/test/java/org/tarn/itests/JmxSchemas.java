package org.tarn.itests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/**
 * The JSON Schemas of {@code jmx-schemas/} (located by the system property
 * {@code tarn.jmx.schemas}, set by the POM): one per MBean type for its
 * Jolokia {@code read} value, one per operation for its {@code exec} value.
 * File names: {@code <type>.read.json}, {@code <type>.exec.<operation>.json},
 * {@code <type>.notification.json}, where {@code <type>} is the ObjectName's
 * {@code type} key in kebab case.
 */
final class JmxSchemas {
    private final Path dir;
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Map<String, Schema> cache = new ConcurrentHashMap<>();

    JmxSchemas() {
        this.dir = Path.of(System.getProperty("tarn.jmx.schemas", "../jmx-schemas")).toAbsolutePath().normalize();
        assertThat(dir).as("the jmx-schemas folder").isDirectory();
    }

    /** {@code PoolManager} → {@code pool-manager}. */
    static String kebab(String type) {
        return type.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    static String readFile(String type) {
        return kebab(type) + ".read.json";
    }

    static String execFile(String type, String operation) {
        return kebab(type) + ".exec." + operation + ".json";
    }

    static String notificationFile(String type) {
        return kebab(type) + ".notification.json";
    }

    Path dir() {
        return dir;
    }

    /** Every schema file name in the folder. */
    List<String> files() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean exists(String file) {
        return Files.isRegularFile(dir.resolve(file));
    }

    /** The parsed schema document (for its {@code properties}). */
    JsonNode document(String file) {
        try {
            return JolokiaHttp.JSON.readTree(dir.resolve(file).toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema " + file + ": " + e, e);
        }
    }

    /** Names in the schema's top-level {@code properties}, sorted. */
    TreeSet<String> propertyNames(String file) {
        TreeSet<String> out = new TreeSet<>();
        document(file).path("properties").fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The validation errors of a value against a schema file; empty when it conforms. */
    List<Error> errors(String file, JsonNode value) {
        assertThat(exists(file)).as("schema %s exists in %s", file, dir).isTrue();
        Schema schema = cache.computeIfAbsent(file, f -> {
            try {
                return registry.getSchema(Files.newInputStream(dir.resolve(f)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return schema.validate(value);
    }

    /** Asserts a value conforms to a schema file. */
    void assertValid(String file, JsonNode value) {
        assertThat(errors(file, value)).as("%s against %s", value, file).isEmpty();
    }
}
