package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property tests of the RFC 8460 §3 record parser: no input makes it throw anything but the typed
 * {@link TlsRptSyntaxException}, no message carries an unsafe character, and well-formed records
 * round-trip through their printed form.
 */
class TlsRptRecordPropertiesTest {

    @Property(tries = 1500)
    void parserThrowsOnlyTypedErrorsWithSafeMessages(@ForAll("recordLike") String txt) {
        try {
            TlsRptRecord r = TlsRptRecord.parse(txt);
            assertThat(TlsRptRecord.isTlsRptRecord(txt)).isTrue();
            assertThat(r.rua()).isNotEmpty().hasSizeLessThanOrEqualTo(TlsRptRecord.MAX_RUA_URIS);
            assertThat(TlsRptRecord.parse(r.toString()).rua()).isEqualTo(r.rua());
            for (String ignored : r.ignoredRua()) {
                assertThat(ignored.codePoints().filter(SafeText::isUnsafe).count()).isZero();
            }
        } catch (TlsRptSyntaxException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            assertThat(expected.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero();
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 1000)
    void wellFormedRecordsParseToTheirDestinations(@ForAll("rua") List<String> uris, @ForAll("wsp") String w1,
                                                   @ForAll("wsp") String w2) throws Exception {
        String txt = "v=TLSRPTv1" + w1 + ";" + w2 + "rua=" + String.join(w1 + "," + w2, uris) + w2 + ";" + w1 + "ext=1";
        TlsRptRecord r = TlsRptRecord.parse(txt);
        assertThat(r.rua()).extracting(TlsRptRecord.Rua::uri).containsExactlyElementsOf(uris.stream().distinct()
                .collect(java.util.stream.Collectors.toList()));
        assertThat(r.extensions()).containsExactly("ext=1");
        assertThat(TlsRptRecord.parse(r.toString())).isEqualTo(r);
    }

    @Provide
    Arbitrary<String> recordLike() {
        Arbitrary<String> tokens = Arbitraries.of("v=TLSRPTv1", "v=TLSRPTv10", ";", " ", "\t", "rua=", "rua=mailto:a@b.example",
                "mailto:", "https://", "r.example", "/x", ",", "@", "%", "%2C", "%zz", "!", "=", "ext=v", "v=", "\u00e9",
                "\u0000", "\r\n", "\u001b", "\u202e", "x:y", "a", "1", "-", ";;", "#", "?", "[", "]");
        return Arbitraries.oneOf(
                tokens.list().ofMaxSize(16).map(l -> String.join("", l)),
                Arbitraries.strings().all().ofMaxLength(80),
                Arbitraries.strings().all().ofMaxLength(60).map(s -> "v=TLSRPTv1; rua=" + s),
                tokens.list().ofMaxSize(12).map(l -> "v=TLSRPTv1; rua=mailto:a@b.example," + String.join("", l)));
    }

    @Provide
    Arbitrary<List<String>> rua() {
        Arbitrary<String> label = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-')
                .ofMinLength(1).ofMaxLength(12).filter(s -> !s.startsWith("-") && !s.endsWith("-"));
        Arbitrary<String> host = label.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join(".", l) + ".example");
        Arbitrary<String> local = Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('+', '_', '=')
                .ofMinLength(1).ofMaxLength(20);
        Arbitrary<String> mailto = Combinators.combine(local, host).as((l, h) -> "mailto:" + l + "@" + h);
        Arbitrary<String> https = Combinators.combine(host, Arbitraries.strings().withCharRange('a', 'z').withChars('/', '-')
                .ofMaxLength(20)).as((h, p) -> "https://" + h + "/" + p);
        return Arbitraries.oneOf(mailto, https).list().ofMinSize(1).ofMaxSize(TlsRptRecord.MAX_RUA_URIS);
    }

    @Provide
    Arbitrary<String> wsp() {
        return Arbitraries.strings().withChars(' ', '\t').ofMaxLength(3);
    }
}
