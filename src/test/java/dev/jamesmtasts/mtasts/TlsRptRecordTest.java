package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.StringJoiner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.jamesmtasts.mtasts.TlsRptRecord.Rua;
import dev.jamesmtasts.mtasts.TlsRptSyntaxException.Reason;

/** RFC 8460 §3: the {@code _smtp._tls} TXT record, every ABNF corner, and hostile records. */
class TlsRptRecordTest {
    private static final String MAILTO = "mailto:tlsrpt@example.com";

    private static TlsRptSyntaxException rejected(String txt) {
        try {
            TlsRptRecord.parse(txt);
        } catch (TlsRptSyntaxException e) {
            return e;
        }
        throw new AssertionError("accepted: " + txt);
    }

    // ---- RFC 8460 §3.1 examples

    @Test
    void parsesTheRfcMailtoExample() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1;rua=mailto:reports@example.com");
        assertThat(r.rua()).hasSize(1);
        Rua rua = r.rua().get(0);
        assertThat(rua.scheme()).isEqualTo(Rua.Scheme.MAILTO);
        assertThat(rua.mailbox()).isEqualTo("reports@example.com");
        assertThat(rua.httpsUri()).isNull();
        assertThat(r.extensions()).isEmpty();
        assertThat(r.ignoredRua()).isEmpty();
    }

    @Test
    void parsesTheRfcHttpsExample() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt");
        Rua rua = r.rua().get(0);
        assertThat(rua.scheme()).isEqualTo(Rua.Scheme.HTTPS);
        assertThat(rua.httpsUri().getHost()).isEqualTo("reporting.example.com");
        assertThat(rua.httpsUri().getPath()).isEqualTo("/v1/tlsrpt");
        assertThat(rua.mailbox()).isNull();
    }

    // ---- the grammar, accepted corners

    @Test
    void aCommaSeparatedListMayHaveWhitespaceAroundItsCommas() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=" + MAILTO + " , \t https://r.example.com/x,mailto:b@example.org");
        assertThat(r.rua()).extracting(Rua::uri)
                .containsExactly(MAILTO, "https://r.example.com/x", "mailto:b@example.org");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=TLSRPTv1;rua=" + MAILTO, "v=TLSRPTv1; rua=" + MAILTO + ";",
        "v=TLSRPTv1 \t;\t rua=" + MAILTO + " ; ", "v=TLSRPTv1 ; rua=" + MAILTO})
    void whitespaceAroundSeparatorsAndATrailingSeparatorAreAllowed(String txt) throws Exception {
        assertThat(TlsRptRecord.isTlsRptRecord(txt)).isTrue();
        assertThat(TlsRptRecord.parse(txt).rua()).extracting(Rua::mailbox).containsExactly("tlsrpt@example.com");
    }

    @Test
    void extensionFieldsAreKeptInOrder() throws Exception {
        String name32 = "a" + "b_-.".repeat(7) + "cde";
        assertThat(name32).hasSize(32);
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; ext=1; rua=" + MAILTO + "; " + name32 + "=!\"#:<>~; 9x=a");
        assertThat(r.extensions()).containsExactly("ext=1", name32 + "=!\"#:<>~", "9x=a");
    }

    @Test
    void repeatedRuaFieldsAreAllUsedAndAUriListedTwiceOnce() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=" + MAILTO + "; rua=https://r.example.com/, " + MAILTO);
        assertThat(r.rua()).extracting(Rua::uri).containsExactly(MAILTO, "https://r.example.com/");
    }

    @Test
    void uriSchemesAreCaseInsensitiveButFieldNamesAreNot() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=MAILTO:a@example.com,HttpS://r.example.com/");
        assertThat(r.rua()).extracting(Rua::scheme).containsExactly(Rua.Scheme.MAILTO, Rua.Scheme.HTTPS);
        // %s"rua=": "RUA=" is an extension field, so the record has no rua.
        assertThat(rejected("v=TLSRPTv1; RUA=" + MAILTO).reason()).isEqualTo(Reason.MISSING_RUA);
        assertThat(TlsRptRecord.isTlsRptRecord("V=TLSRPTv1; rua=" + MAILTO)).isFalse();
    }

    @Test
    void percentEncodedCharactersAreDecodedInTheMailbox() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=mailto:tls%21rpt%2Bx@example.com");
        assertThat(r.rua().get(0).mailbox()).isEqualTo("tls!rpt+x@example.com");
        assertThat(r.rua().get(0).uri()).isEqualTo("mailto:tls%21rpt%2Bx@example.com");
    }

    @Test
    void mailtoHeaderFieldsAreIgnoredSoThatNoHiddenRecipientIsAdded() throws Exception {
        Rua rua = Rua.parse("mailto:tlsrpt@example.com?to=other@evil.example&subject=x");
        assertThat(rua.mailbox()).isEqualTo("tlsrpt@example.com");
    }

    @Test
    void httpsUrisKeepPortPathAndQuery() throws Exception {
        Rua rua = Rua.parse("https://r.example.com:8443/v1/tlsrpt?key=a%20b");
        assertThat(rua.httpsUri().getPort()).isEqualTo(8443);
        assertThat(rua.httpsUri().getRawQuery()).isEqualTo("key=a%20b");
    }

    @Test
    void theRecordPrintsBackInItsPublishedForm() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1;rua=" + MAILTO + " ,https://r.example.com/;ext=1;");
        assertThat(r.toString()).isEqualTo("v=TLSRPTv1; rua=" + MAILTO + ",https://r.example.com/; ext=1");
        assertThat(TlsRptRecord.parse(r.toString())).isEqualTo(r);
    }

    // ---- what is not a TLS-RPT record at all (discarded, RFC 8460 §3)

    @ParameterizedTest
    @ValueSource(strings = {"v=TLSRPTv10; rua=" + MAILTO, "v=TLSRPTv2; rua=" + MAILTO, "rua=" + MAILTO + "; v=TLSRPTv1",
        " v=TLSRPTv1; rua=" + MAILTO, "V=TLSRPTv1; rua=" + MAILTO, "v=tlsrptv1; rua=" + MAILTO, "v=STSv1; id=1",
        "v=spf1 -all", "", "v=TLSRPTv1\r\n; rua=" + MAILTO, "v=TLSRPTv1\u0000; rua=" + MAILTO, "v = TLSRPTv1; rua=" + MAILTO})
    void otherTxtIsNotATlsRptRecord(String txt) {
        assertThat(TlsRptRecord.isTlsRptRecord(txt)).isFalse();
        assertThat(rejected(txt).reason()).isEqualTo(Reason.NOT_TLSRPT);
    }

    @Test
    void nullIsNotATlsRptRecord() {
        assertThat(TlsRptRecord.isTlsRptRecord(null)).isFalse();
        assertThat(rejected(null).reason()).isEqualTo(Reason.NOT_TLSRPT);
    }

    // ---- the grammar, rejected corners

    @ParameterizedTest
    @ValueSource(strings = {
        "v=TLSRPTv1;;rua=" + MAILTO,                      // empty field
        "v=TLSRPTv1; rua=" + MAILTO + ";;",                // two trailing separators
        "v=TLSRPTv1 rua=" + MAILTO,                        // no separator after the version
        "v=TLSRPTv1; rua=" + MAILTO + " ext=1",            // no separator between fields
        "v=TLSRPTv1; rua= " + MAILTO,                      // WSP after "rua="
        "v=TLSRPTv1; rua =" + MAILTO,                      // WSP before "="
        "v=TLSRPTv1; rua=",                                // empty list
        "v=TLSRPTv1; rua=" + MAILTO + ",",                 // trailing comma
        "v=TLSRPTv1; rua=," + MAILTO,                      // leading comma
        "v=TLSRPTv1; rua=" + MAILTO + ",,mailto:b@example.com",
        "v=TLSRPTv1; rua=" + MAILTO + " mailto:b@example.com", // list without comma
        "v=TLSRPTv1; rua=mailto:tls!rpt@example.com",     // "!" must be encoded (RFC 8460 §3)
        "v=TLSRPTv1; rua=" + MAILTO + "!10m",              // DMARC's size suffix does not exist in TLS-RPT
        "v=TLSRPTv1; rua=tlsrpt@example.com",              // no scheme: not a URI
        "v=TLSRPTv1; rua=1http://r.example.com/",          // scheme must start with a letter
        "v=TLSRPTv1; rua=ht_tp://r.example.com/",
        "v=TLSRPTv1; rua=https://r.example.com/a%2",       // truncated percent-encoding
        "v=TLSRPTv1; rua=https://r.example.com/a%zz",
        "v=TLSRPTv1; rua=https://r.example.com/a b",       // space inside a URI
        "v=TLSRPTv1; rua=https://r.example.com/\"x\"",     // quote is no URI character
        "v=TLSRPTv1; rua=https://r.example.com/<x>",
        "v=TLSRPTv1; rua=https://r.example.com/#a#b",      // two fragments
        "v=TLSRPTv1; rua=https://r.example.com/\\x",
        "v=TLSRPTv1; rua=" + MAILTO + "; ext=a=b",         // "=" in an extension value
        "v=TLSRPTv1; rua=" + MAILTO + "; ext=",            // empty extension value
        "v=TLSRPTv1; rua=" + MAILTO + "; =x",              // empty extension name
        "v=TLSRPTv1; rua=" + MAILTO + "; -x=1",            // name must start with a letter or digit
        "v=TLSRPTv1; rua=" + MAILTO + "; e!t=1",
        "v=TLSRPTv1; rua=" + MAILTO + "; ext",             // field without "="
        "v=TLSRPTv1; rua=" + MAILTO + "; ext=\u00e9",       // non-ASCII value
        "v=TLSRPTv1; rua=" + MAILTO + "; abcdefghijabcdefghijabcdefghijabc=1", // 33-character name
        "v=TLSRPTv1; rua=mailto:r\u00e9ports@example.com",  // non-ASCII in a URI
        "v=TLSRPTv1; rua=https://r\u00e9.example.com/",
    })
    void recordsThatBreakTheAbnfAreSyntaxErrors(String txt) {
        assertThat(TlsRptRecord.isTlsRptRecord(txt)).isTrue();
        TlsRptSyntaxException e = rejected(txt);
        assertThat(e.reason()).isEqualTo(Reason.SYNTAX);
        assertThat(e.getMessage()).startsWith("record: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=TLSRPTv1", "v=TLSRPTv1;", "v=TLSRPTv1; ", "v=TLSRPTv1; ext=1", "v=TLSRPTv1; Rua=" + MAILTO})
    void aRecordWithoutRuaIsMissingRua(String txt) {
        assertThat(rejected(txt).reason()).isEqualTo(Reason.MISSING_RUA);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=TLSRPTv1; v=TLSRPTv1; rua=" + MAILTO, "v=TLSRPTv1; rua=" + MAILTO + "; v=TLSRPTv2",
        "v=TLSRPTv1; rua=" + MAILTO + "; v=x"})
    void aSecondVersionFieldIsRejected(String txt) {
        assertThat(rejected(txt).reason()).isEqualTo(Reason.DUPLICATE_VERSION);
    }

    // ---- schemes and destinations (RFC 8460 §3: mailto and https)

    @Test
    void urisOfOtherSchemesAreIgnoredWithTheirReason() throws Exception {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=ftp://r.example.com/x,http://r.example.com/x," + MAILTO);
        assertThat(r.rua()).extracting(Rua::uri).containsExactly(MAILTO);
        assertThat(r.ignoredRua()).hasSize(2);
        assertThat(r.ignoredRua().get(0)).startsWith("'ftp://r.example.com/x'").contains("'ftp' is not mailto or https");
        assertThat(r.ignoredRua().get(1)).startsWith("'http://r.example.com/x'");
    }

    @Test
    void aRecordWithNoUsableUriIsNoUsableRua() {
        TlsRptSyntaxException e = rejected("v=TLSRPTv1; rua=http://r.example.com/x,tel:+1-555-0100,urn:isbn:0451450523");
        assertThat(e.reason()).isEqualTo(Reason.NO_USABLE_RUA);
        assertThat(e.getMessage()).contains("'http://r.example.com/x'", "'tel:+1-555-0100'", "'urn:isbn:0451450523'");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "mailto:",                                  // no address
        "mailto:?subject=x",
        "mailto:example.com",                       // no "@"
        "mailto:a@b@example.com",                   // two "@"
        "mailto:a%40b@example.com",                 // two "@" once decoded
        "mailto:@example.com",                      // empty local part
        "mailto:a@",                                // empty domain
        "mailto:a%2Cb@example.com",                 // an encoded comma: two addresses (RFC 6068)
        "mailto:.a@example.com", "mailto:a.@example.com", "mailto:a..b@example.com",
        "mailto:%22a%20b%22@example.com",           // quoted local part
        "mailto:a%0D%0ABcc:x@example.com",          // CR LF once decoded
        "mailto:a%00@example.com",                  // NUL once decoded
        "mailto:%C3%A9@example.com",                // non-ASCII once decoded
        "mailto:a@[192.0.2.1]",                     // address literal
        "mailto:a@192.0.2.1",                       // numeric top label
        "mailto:a@example..com", "mailto:a@-x.example.com", "mailto:a@_tls.example.com", "mailto:a@example.com.",
        "mailto:a@example.com#f",                   // fragment
        "https://user@r.example.com/",              // user information
        "https://user:pw@r.example.com/",
        "https://192.0.2.1/tlsrpt",                 // IP literal
        "https://[2001:db8::1]/tlsrpt",
        "https:///tlsrpt",                          // no host
        "https:tlsrpt",                             // opaque
        "https://r_x.example.com/",                 // not a host name
        "https://r.example.com:0/",
        "https://r.example.com:99999/",
        "https://r.example.com:x/",
        "https://r.example.com/a[b]",
    })
    void unusableMailtoAndHttpsUrisAreTypedErrors(String uri) {
        assertThatThrownBy(() -> Rua.parse(uri)).isInstanceOf(TlsRptSyntaxException.class)
                .satisfies(e -> assertThat(((TlsRptSyntaxException) e).reason()).isEqualTo(Reason.UNUSABLE_URI));
        // In a record, such a URI is ignored like an unknown scheme.
        TlsRptSyntaxException e = rejected("v=TLSRPTv1; rua=" + uri);
        assertThat(e.reason()).isEqualTo(Reason.NO_USABLE_RUA);
    }

    @Test
    void aLocalPartOf64CharactersIsTheLongest() throws Exception {
        String local64 = "a".repeat(64);
        assertThat(Rua.parse("mailto:" + local64 + "@example.com").mailbox()).startsWith(local64);
        assertThatThrownBy(() -> Rua.parse("mailto:a" + local64 + "@example.com")).isInstanceOf(TlsRptSyntaxException.class);
    }

    @Test
    void ruaParseRejectsWhatIsNoUri() {
        assertThatThrownBy(() -> Rua.parse("not a uri")).isInstanceOf(TlsRptSyntaxException.class)
                .satisfies(e -> assertThat(((TlsRptSyntaxException) e).reason()).isEqualTo(Reason.SYNTAX));
        assertThatThrownBy(() -> Rua.parse(null)).isInstanceOf(TlsRptSyntaxException.class);
    }

    // ---- bounds

    @Test
    void aRecordOfMaxLengthIsAcceptedOneMoreIsTooLong() throws Exception {
        String prefix = "v=TLSRPTv1; rua=https://r.example.com/";
        String exact = prefix + "a".repeat(TlsRptRecord.MAX_RECORD_LENGTH - prefix.length());
        assertThat(exact).hasSize(TlsRptRecord.MAX_RECORD_LENGTH);
        assertThat(TlsRptRecord.parse(exact).rua()).hasSize(1);
        assertThat(rejected(exact + "a").reason()).isEqualTo(Reason.RECORD_TOO_LONG);
    }

    @Test
    void a64KilobyteRecordIsTooLongAndNotQuoted() {
        String huge = "v=TLSRPTv1; rua=" + MAILTO + "; ext=" + "\u001b".repeat(64 * 1024);
        TlsRptSyntaxException e = rejected(huge);
        assertThat(e.reason()).isEqualTo(Reason.RECORD_TOO_LONG);
        assertThat(e.getMessage()).hasSizeLessThan(200).doesNotContain("\u001b");
    }

    @Test
    void tenUrisAreAcceptedElevenAreTooMany() throws Exception {
        assertThat(TlsRptRecord.parse("v=TLSRPTv1; rua=" + mailtos(10)).rua()).hasSize(10);
        assertThat(rejected("v=TLSRPTv1; rua=" + mailtos(11)).reason()).isEqualTo(Reason.TOO_MANY_URIS);
        // Counted over every rua field, usable or not.
        assertThat(rejected("v=TLSRPTv1; rua=" + mailtos(6) + "; rua=" + "x:y,".repeat(4) + "x:y").reason())
                .isEqualTo(Reason.TOO_MANY_URIS);
    }

    @Test
    void aThousandUrisAreRejectedWithATypedError() {
        // Short URIs, so that the record stays under the length cap and the count is what fails.
        String shortUris = "v=TLSRPTv1; rua=" + "x:y,".repeat(999) + "x:y";
        assertThat(shortUris.length()).isLessThan(TlsRptRecord.MAX_RECORD_LENGTH);
        assertThat(rejected(shortUris).reason()).isEqualTo(Reason.TOO_MANY_URIS);
        // Real addresses: the length cap comes first.
        assertThat(rejected("v=TLSRPTv1; rua=" + mailtos(1000)).reason()).isEqualTo(Reason.RECORD_TOO_LONG);
    }

    private static String mailtos(int n) {
        StringJoiner j = new StringJoiner(",");
        for (int i = 0; i < n; i++) {
            j.add("mailto:r" + i + "@example.com");
        }
        return j.toString();
    }

    // ---- hostile text never reaches a message raw

    @ParameterizedTest
    @ValueSource(strings = {
        "v=TLSRPTv1; rua=" + MAILTO + "\r\nX-Injected: yes",
        "v=TLSRPTv1; rua=" + MAILTO + "\n2026-12-02 ERROR forged log line",
        "v=TLSRPTv1; rua=mailto:a\u0000@example.com",
        "v=TLSRPTv1; rua=" + MAILTO + "; ext=\u001b[31mred",
        "v=TLSRPTv1; rua=https://r.example.com/\u202egnp.exe",
        "v=TLSRPTv1; rua=https://r.example.com/\u2028x",
        "v=TLSRPTv1; rua=" + MAILTO + "; \u0085x=1",
        "v=TLSRPTv1; rua=" + MAILTO + "; ext=\u007f",
    })
    void controlAndBidiCharactersAreSyntaxErrorsShownEscaped(String txt) {
        TlsRptSyntaxException e = rejected(txt);
        assertThat(e.reason()).isEqualTo(Reason.SYNTAX);
        assertThat(e.getMessage().codePoints().filter(SafeText::isUnsafe).count())
                .as("unsafe characters in %s", e.getMessage()).isZero();
    }

    @Test
    void ignoredUrisAreQuotedEscaped() throws Exception {
        // "\u202e" is no URI character, so this is a syntax error; an unknown scheme with odd but legal
        // characters is merely ignored, and quoted as published.
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=x-evil:%1B[31m'red'," + MAILTO);
        assertThat(r.ignoredRua()).hasSize(1);
        assertThat(r.ignoredRua().get(0)).startsWith("'x-evil:%1B[31m'red''");
    }
}
