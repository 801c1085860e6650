package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property tests: no input makes the parsers or the matcher throw anything but the typed
 * {@link StsSyntaxException}, and well-formed inputs round-trip.
 */
class ParserPropertiesTest {

    @Property(tries = 3000)
    void recordParserThrowsOnlyTypedErrors(@ForAll("recordLike") String txt) {
        try {
            StsRecord r = StsRecord.parse(txt);
            assertThat(r.id()).isNotEmpty().hasSizeLessThanOrEqualTo(32);
            assertThat(StsRecord.isStsRecord(txt)).isTrue();
        } catch (StsSyntaxException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 3000)
    void policyParserThrowsOnlyTypedErrors(@ForAll("policyLike") String body) {
        try {
            StsPolicy p = StsPolicy.parse(body);
            assertThat(p.maxAgeSeconds()).isBetween(0L, StsPolicy.MAX_AGE_LIMIT);
            if (p.mode() != StsPolicy.Mode.NONE) {
                assertThat(p.mx()).isNotEmpty();
            }
        } catch (StsSyntaxException expected) {
            assertThat(expected.getMessage()).startsWith("policy");
        }
    }

    @Property(tries = 2000)
    void mxParserThrowsOnlyTypedErrorsAndMatcherNeverThrows(@ForAll("hostLike") String pattern, @ForAll("hostLike") String host) {
        try {
            MxPattern p = MxPattern.parse(pattern);
            p.matches(host); // must not throw for any host text
        } catch (StsSyntaxException expected) {
            assertThat(expected.getMessage()).startsWith("mx");
        }
    }

    @Property(tries = 2000)
    void wildcardMatchesExactlyOneExtraLabel(@ForAll("label") String extra, @ForAll("domain") String domain) throws Exception {
        MxPattern p = MxPattern.parse("*." + domain);
        assertThat(p.matches(extra + "." + domain)).isTrue();
        assertThat(p.matches((extra + "." + domain).toUpperCase(Locale.ROOT) + ".")).isTrue();
        assertThat(p.matches(domain)).isFalse();
        assertThat(p.matches(extra + "." + extra + "." + domain)).isFalse();
        assertThat(p.matches(extra + domain)).isFalse();
    }

    @Property(tries = 1000)
    void builtPoliciesRoundTrip(@ForAll("policy") StsPolicy policy) throws Exception {
        StsPolicy reparsed = StsPolicy.parse(policy.text());
        assertThat(reparsed).isEqualTo(policy);
        for (MxPattern mx : policy.mx()) {
            if (!mx.isWildcard()) {
                assertThat(reparsed.matchesMx(mx.toString())).isTrue();
            }
        }
    }

    @Property(tries = 1000)
    void wellFormedRecordsParse(@ForAll("id") String id, @ForAll("wsp") String w1, @ForAll("wsp") String w2) throws Exception {
        assertThat(StsRecord.parse("v=STSv1" + w1 + ";" + w2 + "id=" + id + w1 + ";" + w2).id()).isEqualTo(id);
    }

    @Provide
    Arbitrary<String> recordLike() {
        Arbitrary<String> tokens = Arbitraries.of("v=STSv1", "v=STSv10", ";", " ", "\t", "id=", "id=abc", "=", "ext=v",
                "\u00e9", "\u0000", "a", "1", "-", ";;", "v=STSv2");
        return Arbitraries.oneOf(
                tokens.list().ofMaxSize(12).map(l -> String.join("", l)),
                Arbitraries.strings().all().ofMaxLength(80),
                Arbitraries.strings().all().ofMaxLength(60).map(s -> "v=STSv1; " + s));
    }

    @Provide
    Arbitrary<String> policyLike() {
        Arbitrary<String> lines = Arbitraries.of("version: STSv1", "version:STSv2", "mode: enforce", "mode: testing",
                "mode: none", "mode: doubt", "mx: mx.example.com", "mx: *.example.com", "mx: **.x", "mx: m\u00f8x.example",
                "max_age: 86400", "max_age: 99999999999", "max_age: -1", "max_age: ", "ext: value", "garbage", "",
                ":", "mx:", "x y: z", "\t", "version: STSv1\u0000");
        Arbitrary<String> seps = Arbitraries.of("\n", "\r\n", "\r", "");
        Arbitrary<String> structured = Combinators.combine(lines.list().ofMaxSize(10), seps)
                .as((l, sep) -> l.stream().collect(Collectors.joining(sep)));
        return Arbitraries.oneOf(structured, Arbitraries.strings().all().ofMaxLength(200));
    }

    @Provide
    Arbitrary<String> hostLike() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("ab*.-Z9\u00f8 ").ofMaxLength(30),
                Arbitraries.strings().all().ofMaxLength(30));
    }

    @Provide
    Arbitrary<String> label() {
        return Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(1).ofMaxLength(20);
    }

    @Provide
    Arbitrary<String> domain() {
        return label().list().ofMinSize(1).ofMaxSize(4).map(l -> String.join(".", l));
    }

    @Provide
    Arbitrary<String> id() {
        return Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(32);
    }

    @Provide
    Arbitrary<String> wsp() {
        return Arbitraries.strings().withChars(' ', '\t').ofMaxLength(3);
    }

    @Provide
    Arbitrary<StsPolicy> policy() {
        Arbitrary<MxPattern> mx = Combinators.combine(Arbitraries.of(true, false), domain()).as((wild, d) -> {
            try {
                return MxPattern.parse(wild ? "*." + d : d);
            } catch (StsSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
        return Combinators.combine(Arbitraries.of(StsPolicy.Mode.class), mx.list().ofMinSize(1).ofMaxSize(5),
                Arbitraries.longs().between(0, StsPolicy.MAX_AGE_LIMIT))
                .as((mode, list, age) -> StsPolicy.of(mode, mode == StsPolicy.Mode.NONE ? List.of() : list, age));
    }
}
