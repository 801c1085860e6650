package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** RFC 8461 §3.1: the {@code _mta-sts} TXT record (checklist §1 and the §8 record vectors). */
class StsRecordTest {

    @Test
    void parsesTheRfcExampleRecord() throws Exception {
        StsRecord r = StsRecord.parse("v=STSv1; id=20160831085700Z;");
        assertThat(r.id()).isEqualTo("20160831085700Z");
        assertThat(r.extensions()).isEmpty();
    }

    @Test
    void toleratesWhitespaceAroundSeparators() throws Exception {
        StsRecord r = StsRecord.parse("v=STSv1; \t id=X  \t;");
        assertThat(r.id()).isEqualTo("X");
    }

    @Test
    void keepsExtensionFields() throws Exception {
        StsRecord r = StsRecord.parse("v=STSv1; id=a; more=a; ext=2");
        assertThat(r.id()).isEqualTo("a");
        assertThat(r.extensions()).containsExactly("more=a", "ext=2");
    }

    @Test
    void acceptsTrailingSeparatorButNotNone() throws Exception {
        assertThat(StsRecord.parse("v=STSv1; id=abc").id()).isEqualTo("abc");
        assertThat(StsRecord.parse("v=STSv1; id=abc;").id()).isEqualTo("abc");
    }

    @Test
    void idOf32CharactersIsTheLongestAllowed() throws Exception {
        String id32 = "a".repeat(32);
        assertThat(StsRecord.parse("v=STSv1; id=" + id32).id()).isEqualTo(id32);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=STSv10; id=1", "v=STSv2; id=1", "id=1; v=STSv1", " v=STSv1; id=1",
        "V=STSv1; id=1", "v=spf1 -all", ""})
    void otherTxtIsNotAnStsRecord(String txt) {
        // RFC 8461 §3.1: records that do not begin with "v=STSv1" are discarded, not errors.
        assertThat(StsRecord.isStsRecord(txt)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "v=STSv1; id=a-b", "v=STSv1;; id=1", "v=STSv1; id=1;;", "v=STSv1; id=1; id=2", "v=STSv1; ext=1",
        "v=STSv1; id=1 2", "v=STSv1 id=1", "v=STSv1; id=1; =x", "v=STSv1; id=1; ext=a=b", "v=STSv1; id=1; -x=1",
        "v=STSv1; id=1; ext=", "v=STSv1; id=\u00e9"})
    void invalidStsRecordsAreRejectedWithAReason(String txt) {
        assertThat(StsRecord.isStsRecord(txt)).isTrue();
        assertThatThrownBy(() -> StsRecord.parse(txt))
                .isInstanceOf(StsSyntaxException.class)
                .hasMessageStartingWith("record");
    }

    @Test
    void aNonStsStringIsRejectedByParse() {
        assertThatThrownBy(() -> StsRecord.parse("v=STSv10; id=1")).isInstanceOf(StsSyntaxException.class);
        assertThatThrownBy(() -> StsRecord.parse(null)).isInstanceOf(StsSyntaxException.class);
    }

    @Test
    void recordsWithTheSameIdAreEqual() throws Exception {
        assertThat(StsRecord.parse("v=STSv1; id=1")).isEqualTo(StsRecord.of("1"));
        assertThat(StsRecord.of("1").toString()).isEqualTo("v=STSv1; id=1");
    }
}
