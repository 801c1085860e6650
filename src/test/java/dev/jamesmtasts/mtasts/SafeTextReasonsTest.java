package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link SafeText#display}, {@link SafeText#list}, {@link SafeText#lines} and {@link SafeJson}: text
 * built from escaped parts is shown unchanged, anything unsafe left is escaped, lists are capped.
 */
class SafeTextReasonsTest {
    private static final String HOSTILE = "id=1\r\n00:00:00.000 INFO forged \u001B[31m\u0000\u202Egnp.exe\u009B2J\u2028";

    @Test
    void displayEscapesWhatIsUnsafeButNotAnEscapeAlreadyMade() {
        String part = SafeText.of(HOSTILE);
        assertThat(part).doesNotContain("\r", "\n", "\u001B", "\u0000", "\u202E", "\u009B", "\u2028");
        String reason = "record: id must be letters or digits, got '" + part + "'";
        assertThat(SafeText.display(reason)).isSameAs(reason);
        assertThat(SafeText.display("a\\b")).isEqualTo("a\\b");
        assertThat(SafeText.display("x" + HOSTILE)).isEqualTo("x" + SafeText.of(HOSTILE, 1000));
        assertThat(SafeText.display(null)).isEqualTo("null");
    }

    @Test
    void displayIsCapped() {
        assertThat(SafeText.display("y".repeat(5000))).hasSize(SafeText.REASON_MAX).endsWith(SafeText.ELLIPSIS);
        assertThat(SafeText.display("y".repeat(50), 20)).hasSize(20);
    }

    @Property
    void displayIsIdempotentAndLeavesNothingUnsafe(@ForAll String s) {
        String once = SafeText.display(s);
        assertThat(SafeText.display(once)).isEqualTo(once);
        assertThat(once.codePoints().noneMatch(SafeText::isUnsafe)).as(once).isTrue();
    }

    @Test
    void listNamesAFewItemsThenHowManyMore() {
        List<String> mx = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            mx.add(i == 1 ? "*.b.example" : "mx" + i + ".example");
        }
        assertThat(SafeText.list(mx, 3)).isEqualTo("mx0.example, *.b.example, mx2.example and 37 more");
        assertThat(SafeText.list(mx.subList(0, 3), 3)).isEqualTo("mx0.example, *.b.example, mx2.example");
        assertThat(SafeText.list(mx.subList(0, 1), 3)).isEqualTo("mx0.example");
        assertThat(SafeText.list(List.of(), 3)).isEmpty();
        assertThat(SafeText.list(List.of("a: x", "b: y", "c: z"), 2, "; ")).isEqualTo("a: x; b: y and 1 more");
        assertThat(SafeText.list(List.of("a\nb"), 3)).isEqualTo("a\\x0Ab");
        assertThatThrownBy(() -> SafeText.list(mx, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aThousandEntryListStaysShort() {
        List<String> mx = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            mx.add("mx" + i + ".a-rather-long-mx-host-name-label.example");
        }
        String shown = SafeText.list(mx, SafeText.LIST_MAX);
        assertThat(shown).endsWith(" and 997 more").hasSizeLessThan(200).doesNotContain("mx3.");
    }

    @Test
    void linesKeepsTheLineStructureAndEscapesTheRest() {
        String body = "version: STSv1\r\nmode: enforce\r\nx-note: \u202Eevil\u009B31m\u001B[2J\rrewrite\nmax_age: 1\n";
        String shown = SafeText.lines(body);
        assertThat(shown).isEqualTo("version: STSv1\nmode: enforce\nx-note: \\u202Eevil\\x9B31m\\x1B[2J\\x0Drewrite\n"
                + "max_age: 1\n");
        assertThat(SafeText.lines(shown)).isEqualTo(shown);
        assertThat(SafeText.lines("a\n\nb")).isEqualTo("a\n\nb");
    }

    @Test
    void jsonEscapesC1DelBidiAndLineSeparatorsAndKeepsTheValueExact() throws Exception {
        ObjectMapper plain = new ObjectMapper();
        ObjectNode o = plain.createObjectNode().put("policy_text", HOSTILE + "\u007F\u00E9");
        String json = SafeJson.write(o);
        assertThat(json).doesNotContain("\r", "\n", "\u001B", "\u0000", "\u202E", "\u009B", "\u2028", "\u007F")
                .contains("\\u202E", "\\u009B", "\\u2028", "\\u007F", "\\u001B", "\u00E9");
        assertThat(plain.readTree(json).get("policy_text").asText()).isEqualTo(HOSTILE + "\u007F\u00E9");
        String viaMapper = SafeJson.newMapper().writeValueAsString(Map.of("m", "\u2066x\u2069"));
        assertThat(viaMapper).isEqualTo("{\"m\":\"\\u2066x\\u2069\"}");
        // An emoji (a valid surrogate pair) stays readable JSON either way, and exact.
        assertThat(plain.readTree(SafeJson.write(plain.createObjectNode().put("e", "\uD83D\uDCE7"))).get("e").asText())
                .isEqualTo("\uD83D\uDCE7");
    }
}
