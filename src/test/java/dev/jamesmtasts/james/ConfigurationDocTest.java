package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} and the shipped {@code james-conf/mta-sts.properties} are generated from
 * the key table ({@link MtaStsKeys#ALL}): this test fails when either differs from what the table
 * generates. To regenerate both after changing the table:
 * {@code mvn -o test -Dtest=ConfigurationDocTest -Dconfiguration.docs.write=true}.
 */
class ConfigurationDocTest {
    private static final Path BASE = Path.of(System.getProperty("project.basedir", "."));
    static final Path DOC = BASE.resolve("docs/configuration.md");
    static final Path PROPERTIES = BASE.resolve("james-conf/mta-sts.properties");
    private static final boolean WRITE = Boolean.getBoolean("configuration.docs.write");
    private static final int WIDTH = 100;

    @Test
    void docsConfigurationMdIsGeneratedFromTheKeyTable() throws IOException {
        check(DOC, markdown());
    }

    @Test
    void theShippedPropertiesFileIsGeneratedFromTheKeyTable() throws IOException {
        check(PROPERTIES, properties());
    }

    private static void check(Path file, String expected) throws IOException {
        if (WRITE) {
            Files.writeString(file, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        assertThat(actual).as(file + " is out of date with MtaStsKeys: regenerate it with "
                + "mvn -o test -Dtest=ConfigurationDocTest -Dconfiguration.docs.write=true").isEqualTo(expected);
    }

    /** The admin's table of keys. */
    static String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Configuration: `conf/mta-sts.properties`\n\n")
                .append("The MTA-STS extension's shared component (the policy cache, its Cassandra tables, the DNS and\n")
                .append("HTTPS lookups, the refresher) reads `conf/mta-sts.properties` once, when James starts. Copy\n")
                .append("`james-conf/mta-sts.properties` (every key with its default) and change what you need.\n")
                .append("The enforcement switches (`mtaStsMode`, overrides, ...) are parameters of the delivery mailet\n")
                .append("in `mailetcontainer.xml`, not keys of this file.\n\n")
                .append("- Every key is optional; a missing key takes the default below.\n")
                .append("- Durations are written ").append(ConfigKey.DURATION_SYNTAX.replace("(PT5M)", "(`PT5M`)"))
                .append(".\n")
                .append("- A wrong value, or a key not in this table (a typo), stops James at start with a message\n")
                .append("  naming the key, the value, what is allowed and the default, e.g.\n")
                .append("  `").append(exampleError()).append("`.\n")
                .append("- `cassandra.useServerSession` keeps its historical words: `true` means \"use James's session\",\n")
                .append("  `false` means \"open our own\".\n\n")
                .append("This page is generated from the key table in the code (`dev.jamesmtasts.james.MtaStsKeys`);\n")
                .append("a test fails when they differ.\n\n")
                .append("| key | default | allowed values | meaning |\n")
                .append("|---|---|---|---|\n");
        for (ConfigKey k : MtaStsConfiguration.keys()) {
            b.append("| `").append(k.name()).append("` | ")
                    .append(k.defaultValue().isEmpty() ? "(empty)" : "`" + k.defaultValue() + "`").append(" | ")
                    .append(cell(k.allowed())).append(" | ")
                    .append(cell(k.meaning())).append(" |\n");
        }
        return b.toString();
    }

    /** What James says for a bad value, as the reader words it. */
    private static String exampleError() {
        try {
            MtaStsConfiguration.from(java.util.Map.of("cache.nearCacheSize", "0"));
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("cache.nearCacheSize=0 was accepted");
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** The shipped file: every key with its default, and its meaning and allowed values as comments. */
    static String properties() {
        StringBuilder b = new StringBuilder();
        b.append("# conf/mta-sts.properties: the MTA-STS extension's shared component (policy cache).\n")
                .append("#\n")
                .append("# Every key is optional; the value shown is the default. A wrong value, or a key not listed here\n")
                .append("# (a typo), stops James at start with a message naming the key.\n")
                .append("# Durations: ").append(ConfigKey.DURATION_SYNTAX).append(".\n")
                .append("# The enforcement switches are mailet parameters (see mailetcontainer.xml).\n")
                .append("# The same keys as a table: docs/configuration.md. Both are generated from the key table in\n")
                .append("# the code (dev.jamesmtasts.james.MtaStsKeys).\n");
        String section = "";
        for (ConfigKey k : MtaStsConfiguration.keys()) {
            if (!k.section().equals(section)) {
                section = k.section();
                b.append("\n# ---- ").append(section).append(" ----\n");
            }
            for (String line : wrap(ascii(k.meaning() + " Allowed: " + k.allowed() + "."), WIDTH - 2)) {
                b.append("# ").append(line).append('\n');
            }
            b.append(k.name()).append('=').append(k.defaultValue()).append('\n');
        }
        return b.toString();
    }

    /** Properties files are ISO-8859-1 by tradition: keep the comments ASCII. */
    private static String ascii(String text) {
        return text.replace("§", "section ");
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    @Test
    void generatedTextsNameEveryKeyOnce() {
        String md = markdown();
        String props = properties();
        for (ConfigKey k : MtaStsConfiguration.keys()) {
            assertThat(md).contains("| `" + k.name() + "` |");
            assertThat(props).contains("\n" + k.name() + "=" + k.defaultValue() + "\n");
        }
    }
}
