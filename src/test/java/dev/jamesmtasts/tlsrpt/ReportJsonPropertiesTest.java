package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import dev.jamesmtasts.mtasts.SafeText;

/**
 * Property tests of the RFC 8460 §4.4 JSON: any strings and counts survive write then read exactly,
 * the output never carries an unsafe character raw, and no input makes the reader throw anything but
 * {@link ReportFormatException}.
 */
class ReportJsonPropertiesTest {

    @Property(tries = 300)
    void anyReportRoundTrips(@ForAll("text") String a, @ForAll("text") String b, @ForAll("text") String c,
                             @ForAll("count") long n, @ForAll("count") long m) throws Exception {
        Map<FailureDetail, Long> failures = new LinkedHashMap<>();
        failures.put(new FailureDetail(ResultType.CERTIFICATE_NOT_TRUSTED, a, b, c, a, b, c), m);
        failures.put(new FailureDetail(ResultType.DANE_REQUIRED, null, c, null, null, a, null), n);
        TlsReport report = new TlsReport(a, Instant.ofEpochSecond(n % 4_000_000_000L), Instant.ofEpochSecond(4_000_000_000L),
                b, c, List.of(new TlsReport.PolicyResults(new AppliedPolicy(PolicyType.STS, a, List.of(b, c), List.of(c)),
                        n, m, failures)));
        byte[] json = ReportJson.write(report);
        assertThat(new String(json, StandardCharsets.UTF_8).codePoints().filter(SafeText::isUnsafe).count()).isZero();
        assertThat(ReportJson.read(json)).isEqualTo(report);
    }

    @Property(tries = 1000)
    void theReaderThrowsOnlyTypedErrors(@ForAll("jsonLike") String json) {
        try {
            assertThat(ReportJson.read(json.getBytes(StandardCharsets.UTF_8)).reportId()).isNotEmpty();
        } catch (ReportFormatException expected) {
            assertThat(expected.getMessage()).startsWith("report: ");
            assertThat(expected.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero();
        }
    }

    @Property(tries = 300)
    void gunzipThrowsOnlyTypedErrors(@ForAll("bytes") byte[] data) {
        try {
            ReportJson.gunzip(data, 4096);
        } catch (ReportFormatException expected) {
            assertThat(expected.getMessage()).startsWith("report: ");
        }
    }

    @Provide
    Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40),
                Arbitraries.strings().withChars("\"\\\r\n\u0000\u001b\u2028\u2029\u202e\u007f\u0085a\u00e9")
                        .ofMinLength(1).ofMaxLength(20));
    }

    @Provide
    Arbitrary<Long> count() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 1000), Arbitraries.longs().between(0, Long.MAX_VALUE));
    }

    @Provide
    Arbitrary<String> jsonLike() {
        String example = ReportJsonTest.RFC_EXAMPLE;
        Arbitrary<String> cut = Arbitraries.integers().between(0, example.length()).map(i -> example.substring(0, i));
        Arbitrary<String> mutated = Arbitraries.integers().between(0, example.length() - 1).flatMap(i ->
                Arbitraries.strings().all().ofMaxLength(3).map(s -> example.substring(0, i) + s + example.substring(i + 1)));
        return Arbitraries.oneOf(cut, mutated, Arbitraries.strings().all().ofMaxLength(60));
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        byte[] gz = ReportJson.gzip(ReportJsonTest.RFC_EXAMPLE.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> flipped = Arbitraries.integers().between(0, gz.length - 1).flatMap(i ->
                Arbitraries.bytes().map(b -> {
                    byte[] copy = gz.clone();
                    copy[i] = b;
                    return copy;
                }));
        return Arbitraries.oneOf(flipped, Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
    }
}
