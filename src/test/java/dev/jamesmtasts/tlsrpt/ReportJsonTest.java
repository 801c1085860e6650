package dev.jamesmtasts.tlsrpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.mtasts.SafeText;

/** RFC 8460 §4.4/§4.5: the report JSON written and read back field by field, and its gzip form. */
class ReportJsonTest {
    private static final ObjectMapper PLAIN = new ObjectMapper();
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    private static final Instant END = Instant.parse("2026-12-02T00:00:00Z");

    /**
     * RFC 8460 §4.5, as printed: {@code mx-host} is one string there (erratum 6241 makes it an array);
     * the {@code additional-information} URL, which the RFC wraps over two lines inside the string, is
     * joined (a raw line break inside a JSON string is not JSON).
     */
    static final String RFC_EXAMPLE = "{\n"
            + "     \"organization-name\": \"Company-X\",\n"
            + "     \"date-range\": {\n"
            + "       \"start-datetime\": \"2016-04-01T00:00:00Z\",\n"
            + "       \"end-datetime\": \"2016-04-01T23:59:59Z\"\n"
            + "     },\n"
            + "     \"contact-info\": \"sts-reporting@company-x.example\",\n"
            + "     \"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",\n"
            + "     \"policies\": [{\n"
            + "       \"policy\": {\n"
            + "         \"policy-type\": \"sts\",\n"
            + "         \"policy-string\": [\"version: STSv1\",\"mode: testing\",\n"
            + "               \"mx: *.mail.company-y.example\",\"max_age: 86400\"],\n"
            + "         \"policy-domain\": \"company-y.example\",\n"
            + "         \"mx-host\": \"*.mail.company-y.example\"\n"
            + "       },\n"
            + "       \"summary\": {\n"
            + "         \"total-successful-session-count\": 5326,\n"
            + "         \"total-failure-session-count\": 303\n"
            + "       },\n"
            + "       \"failure-details\": [{\n"
            + "         \"result-type\": \"certificate-expired\",\n"
            + "         \"sending-mta-ip\": \"2001:db8:abcd:0012::1\",\n"
            + "         \"receiving-mx-hostname\": \"mx1.mail.company-y.example\",\n"
            + "         \"failed-session-count\": 100\n"
            + "       }, {\n"
            + "         \"result-type\": \"starttls-not-supported\",\n"
            + "         \"sending-mta-ip\": \"2001:db8:abcd:0013::1\",\n"
            + "         \"receiving-mx-hostname\": \"mx2.mail.company-y.example\",\n"
            + "         \"receiving-ip\": \"203.0.113.56\",\n"
            + "         \"failed-session-count\": 200,\n"
            + "         \"additional-information\": \"https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported\"\n"
            + "       }, {\n"
            + "         \"result-type\": \"validation-failure\",\n"
            + "         \"sending-mta-ip\": \"198.51.100.62\",\n"
            + "         \"receiving-ip\": \"203.0.113.58\",\n"
            + "         \"receiving-mx-hostname\": \"mx-backup.mail.company-y.example\",\n"
            + "         \"failed-session-count\": 3,\n"
            + "         \"failure-reason-code\": \"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED\"\n"
            + "       }]\n"
            + "     }]\n"
            + "   }";

    static TlsReport fullReport() {
        AppliedPolicy sts = AppliedPolicy.sts("example.com",
                "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\nmax_age: 604800\r\n",
                List.of("mx1.example.com", "*.backup.example.com"));
        Map<FailureDetail, Long> failures = new LinkedHashMap<>();
        failures.put(new FailureDetail(ResultType.CERTIFICATE_HOST_MISMATCH, "192.0.2.10", "mx1.example.com",
                "mx1.example.com", "198.51.100.7", "certificate names impostor.example", "X509_V_ERR_HOSTNAME_MISMATCH"), 7L);
        failures.put(new FailureDetail(ResultType.STARTTLS_NOT_SUPPORTED, "2001:db8::10", "mx2.backup.example.com",
                null, "2001:db8::25", null, null), 3L);
        failures.put(new FailureDetail(ResultType.STS_POLICY_FETCH_ERROR, null, null, null, null,
                "HTTP 404 from mta-sts.example.com", null), 1L);
        Map<FailureDetail, Long> noPolicyFailures = new LinkedHashMap<>();
        noPolicyFailures.put(new FailureDetail(ResultType.VALIDATION_FAILURE, "192.0.2.10", "mx.other.example", null,
                "203.0.113.9", null, null), 2L);
        return new TlsReport("James MTA-STS test", START, END, "mailto:postmaster@sender.example",
                "20261201.example.com@sender.example", List.of(
                        new TlsReport.PolicyResults(sts, 1234, 11, failures),
                        new TlsReport.PolicyResults(AppliedPolicy.none("example.com"), 40, 2, noPolicyFailures)));
    }

    private static JsonNode written(TlsReport report) throws Exception {
        return PLAIN.readTree(ReportJson.write(report));
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // ---- writing, field by field against RFC 8460 §4.4

    @Test
    void writtenReportReadsBackEqual() throws Exception {
        TlsReport report = fullReport();
        assertThat(ReportJson.read(ReportJson.write(report))).isEqualTo(report);
    }

    @Test
    void topLevelFieldsHaveTheRfcNamesAndOrder() throws Exception {
        JsonNode root = written(fullReport());
        assertThat(names(root)).containsExactly("organization-name", "date-range", "contact-info", "report-id", "policies");
        assertThat(root.get("organization-name").textValue()).isEqualTo("James MTA-STS test");
        assertThat(names(root.get("date-range"))).containsExactly("start-datetime", "end-datetime");
        assertThat(root.get("date-range").get("start-datetime").textValue()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(root.get("date-range").get("end-datetime").textValue()).isEqualTo("2026-12-02T00:00:00Z");
        assertThat(root.get("contact-info").textValue()).isEqualTo("mailto:postmaster@sender.example");
        assertThat(root.get("report-id").textValue()).isEqualTo("20261201.example.com@sender.example");
        assertThat(root.get("policies").isArray()).isTrue();
        assertThat(root.get("policies")).hasSize(2);
    }

    @Test
    void anStsPolicyEntryHasTheRfcFields() throws Exception {
        JsonNode entry = written(fullReport()).get("policies").get(0);
        assertThat(names(entry)).containsExactly("policy", "summary", "failure-details");
        JsonNode policy = entry.get("policy");
        assertThat(names(policy)).containsExactly("policy-type", "policy-string", "policy-domain", "mx-host");
        assertThat(policy.get("policy-type").textValue()).isEqualTo("sts");
        assertThat(texts(policy.get("policy-string"))).containsExactly("version: STSv1", "mode: enforce",
                "mx: mx1.example.com", "mx: *.backup.example.com", "max_age: 604800");
        assertThat(policy.get("policy-domain").textValue()).isEqualTo("example.com");
        // Erratum 6241: mx-host is an array.
        assertThat(policy.get("mx-host").isArray()).isTrue();
        assertThat(texts(policy.get("mx-host"))).containsExactly("mx1.example.com", "*.backup.example.com");
        JsonNode summary = entry.get("summary");
        assertThat(names(summary)).containsExactly("total-successful-session-count", "total-failure-session-count");
        assertThat(summary.get("total-successful-session-count").isIntegralNumber()).isTrue();
        assertThat(summary.get("total-successful-session-count").longValue()).isEqualTo(1234);
        assertThat(summary.get("total-failure-session-count").longValue()).isEqualTo(11);
    }

    @Test
    void failureDetailsHaveTheRfcFieldsAndOmitNullOnes() throws Exception {
        JsonNode details = written(fullReport()).get("policies").get(0).get("failure-details");
        assertThat(details).hasSize(3);
        JsonNode full = details.get(0);
        assertThat(names(full)).containsExactly("result-type", "sending-mta-ip", "receiving-mx-hostname",
                "receiving-mx-helo", "receiving-ip", "failed-session-count", "additional-information",
                "failure-reason-code");
        assertThat(full.get("result-type").textValue()).isEqualTo("certificate-host-mismatch");
        assertThat(full.get("sending-mta-ip").textValue()).isEqualTo("192.0.2.10");
        assertThat(full.get("receiving-mx-hostname").textValue()).isEqualTo("mx1.example.com");
        assertThat(full.get("receiving-mx-helo").textValue()).isEqualTo("mx1.example.com");
        assertThat(full.get("receiving-ip").textValue()).isEqualTo("198.51.100.7");
        assertThat(full.get("failed-session-count").longValue()).isEqualTo(7);
        assertThat(full.get("additional-information").textValue()).isEqualTo("certificate names impostor.example");
        assertThat(full.get("failure-reason-code").textValue()).isEqualTo("X509_V_ERR_HOSTNAME_MISMATCH");
        assertThat(names(details.get(1))).containsExactly("result-type", "sending-mta-ip", "receiving-mx-hostname",
                "receiving-ip", "failed-session-count");
        assertThat(names(details.get(2))).containsExactly("result-type", "failed-session-count", "additional-information");
        assertThat(details.get(2).get("result-type").textValue()).isEqualTo("sts-policy-fetch-error");
    }

    @Test
    void noPolicyFoundOmitsPolicyStringAndMxHost() throws Exception {
        JsonNode policy = written(fullReport()).get("policies").get(1).get("policy");
        assertThat(names(policy)).containsExactly("policy-type", "policy-domain");
        assertThat(policy.get("policy-type").textValue()).isEqualTo("no-policy-found");
    }

    @Test
    void anStsPolicyWithoutMxLinesWritesAnEmptyMxHostArray() throws Exception {
        AppliedPolicy none = AppliedPolicy.sts("example.net", "version: STSv1\nmode: none\nmax_age: 86400\n", List.of());
        TlsReport report = new TlsReport("o", START, END, "c", "id",
                List.of(new TlsReport.PolicyResults(none, 5, 0, Map.of())));
        JsonNode entry = written(report).get("policies").get(0);
        assertThat(entry.get("policy").get("mx-host").isArray()).isTrue();
        assertThat(entry.get("policy").get("mx-host")).isEmpty();
        assertThat(entry.get("failure-details").isArray()).isTrue();
        assertThat(entry.get("failure-details")).isEmpty();
        assertThat(ReportJson.read(ReportJson.write(report))).isEqualTo(report);
    }

    @Test
    void aTlsaPolicyWritesMxHostOnlyWhenItHasOne() throws Exception {
        AppliedPolicy tlsa = new AppliedPolicy(PolicyType.TLSA, "example.org", List.of("3 1 1 abcdef"), List.of());
        TlsReport report = new TlsReport("o", START, END, "c", "id",
                List.of(new TlsReport.PolicyResults(tlsa, 1, 0, Map.of())));
        assertThat(names(written(report).get("policies").get(0).get("policy")))
                .containsExactly("policy-type", "policy-string", "policy-domain");
        assertThat(ReportJson.read(ReportJson.write(report))).isEqualTo(report);
    }

    @Test
    void subSecondInstantsAreWrittenAsRfc3339Fractions() throws Exception {
        TlsReport report = new TlsReport("o", Instant.parse("2026-12-01T00:00:00.250Z"), END, "c", "id", List.of());
        assertThat(written(report).get("date-range").get("start-datetime").textValue()).isEqualTo("2026-12-01T00:00:00.250Z");
        assertThat(ReportJson.read(ReportJson.write(report))).isEqualTo(report);
    }

    @Test
    void everyResultTypeIsWrittenWithItsRfcNameAndReadBack() throws Exception {
        Map<FailureDetail, Long> failures = new LinkedHashMap<>();
        for (ResultType t : ResultType.values()) {
            failures.put(new FailureDetail(t, null, "mx.example.com", null, null, null, null), 1L);
        }
        TlsReport report = new TlsReport("o", START, END, "c", "id", List.of(new TlsReport.PolicyResults(
                AppliedPolicy.sts("example.com", "version: STSv1", List.of("mx.example.com")), 0, failures.size(), failures)));
        JsonNode details = written(report).get("policies").get(0).get("failure-details");
        List<String> labels = new ArrayList<>();
        details.forEach(d -> labels.add(d.get("result-type").textValue()));
        assertThat(labels).containsExactly("starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
                "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required",
                "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid");
        assertThat(ReportJson.read(ReportJson.write(report))).isEqualTo(report);
    }

    @Test
    void negativeCountsAreNeverWritten() {
        TlsReport report = new TlsReport("o", START, END, "c", "id", List.of(new TlsReport.PolicyResults(
                AppliedPolicy.none("example.com"), -1, 0, Map.of())));
        assertThatThrownBy(() -> ReportJson.write(report)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- hostile strings come out as valid, escaped JSON

    @Test
    void hostileStringsAreEscapedAndReadBackExactly() throws Exception {
        String hostile = "q\"uote\\back\r\nX-Forged: 1\u0000nul\u001b[31mesc\u007fdel\u0085nel\u2028ls\u2029ps"
                + "\u202erlo\u200ezw\ud800lone \u00e9 \ud83d\udce7";
        Map<FailureDetail, Long> failures = new LinkedHashMap<>();
        failures.put(new FailureDetail(ResultType.VALIDATION_FAILURE, hostile, hostile, hostile, hostile, hostile, hostile), 1L);
        TlsReport report = new TlsReport(hostile, START, END, hostile, hostile, List.of(new TlsReport.PolicyResults(
                new AppliedPolicy(PolicyType.STS, hostile, List.of(hostile), List.of(hostile)), 0, 1, failures)));
        byte[] json = ReportJson.write(report);
        String text = new String(json, StandardCharsets.UTF_8);
        // No raw control, DEL, C1, bidi, line/paragraph separator or lone surrogate anywhere in the output.
        assertThat(text.codePoints().filter(SafeText::isUnsafe).count()).as(text).isZero();
        assertThat(text).contains("\\u2028", "\\u2029", "\\u202E", "\\u001B", "\\u007F", "\\u0085", "\\r\\n",
                "q\\\"uote\\\\back", "\\uD800");
        // Non-ASCII that is safe stays as it is (UTF-8); a character outside the BMP is written as its
        // escaped surrogate pair (SafeJson escapes surrogates one by one), which JSON reads as the character.
        assertThat(text).contains("\u00e9", "\\uD83D\\uDCE7");
        // The whole is valid JSON giving back every string exactly.
        assertThat(PLAIN.readTree(json).get("organization-name").textValue()).isEqualTo(hostile);
        assertThat(ReportJson.read(json)).isEqualTo(report);
    }

    // ---- reading the RFC's own example

    @Test
    void theRfcExampleIsRead() throws Exception {
        TlsReport r = ReportJson.read(RFC_EXAMPLE.getBytes(StandardCharsets.UTF_8));
        assertThat(r.organizationName()).isEqualTo("Company-X");
        assertThat(r.start()).isEqualTo(Instant.parse("2016-04-01T00:00:00Z"));
        assertThat(r.end()).isEqualTo(Instant.parse("2016-04-01T23:59:59Z"));
        assertThat(r.contactInfo()).isEqualTo("sts-reporting@company-x.example");
        assertThat(r.reportId()).isEqualTo("5065427c-23d3-47ca-b6e0-946ea0e8c4be");
        assertThat(r.policies()).hasSize(1);
        TlsReport.PolicyResults p = r.policies().get(0);
        assertThat(p.policy().type()).isEqualTo(PolicyType.STS);
        assertThat(p.policy().policyString()).containsExactly("version: STSv1", "mode: testing",
                "mx: *.mail.company-y.example", "max_age: 86400");
        assertThat(p.policy().policyDomain()).isEqualTo("company-y.example");
        assertThat(p.policy().mxHosts()).containsExactly("*.mail.company-y.example");
        assertThat(p.successfulSessions()).isEqualTo(5326);
        assertThat(p.failedSessions()).isEqualTo(303);
        Iterator<Map.Entry<FailureDetail, Long>> it = p.failures().entrySet().iterator();
        Map.Entry<FailureDetail, Long> first = it.next();
        assertThat(first.getKey()).isEqualTo(new FailureDetail(ResultType.CERTIFICATE_EXPIRED, "2001:db8:abcd:0012::1",
                "mx1.mail.company-y.example", null, null, null, null));
        assertThat(first.getValue()).isEqualTo(100);
        Map.Entry<FailureDetail, Long> second = it.next();
        assertThat(second.getKey()).isEqualTo(new FailureDetail(ResultType.STARTTLS_NOT_SUPPORTED, "2001:db8:abcd:0013::1",
                "mx2.mail.company-y.example", null, "203.0.113.56",
                "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported", null));
        assertThat(second.getValue()).isEqualTo(200);
        Map.Entry<FailureDetail, Long> third = it.next();
        assertThat(third.getKey()).isEqualTo(new FailureDetail(ResultType.VALIDATION_FAILURE, "198.51.100.62",
                "mx-backup.mail.company-y.example", null, "203.0.113.58", null, "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"));
        assertThat(third.getValue()).isEqualTo(3);
        assertThat(it.hasNext()).isFalse();
    }

    @Test
    void theRfcExampleWithTheErratumArrayReadsTheSame() throws Exception {
        String erratum = RFC_EXAMPLE.replace("\"mx-host\": \"*.mail.company-y.example\"",
                "\"mx-host\": [\"*.mail.company-y.example\"]");
        assertThat(erratum).isNotEqualTo(RFC_EXAMPLE);
        assertThat(ReportJson.read(erratum.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(ReportJson.read(RFC_EXAMPLE.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theRfcExampleSurvivesOurWriterUnchanged() throws Exception {
        TlsReport r = ReportJson.read(RFC_EXAMPLE.getBytes(StandardCharsets.UTF_8));
        assertThat(ReportJson.read(ReportJson.write(r))).isEqualTo(r);
    }

    // ---- the strict reader

    @ParameterizedTest
    @ValueSource(strings = {"/organization-name", "/date-range", "/date-range/start-datetime", "/date-range/end-datetime",
        "/contact-info", "/report-id", "/policies", "/policies/0/policy", "/policies/0/policy/policy-type",
        "/policies/0/policy/policy-domain", "/policies/0/summary", "/policies/0/summary/total-successful-session-count",
        "/policies/0/summary/total-failure-session-count", "/policies/0/failure-details/1/result-type",
        "/policies/0/failure-details/1/failed-session-count"})
    void aMissingRequiredFieldIsAnErrorNamingIt(String pointer) throws Exception {
        JsonNode root = PLAIN.readTree(RFC_EXAMPLE);
        int slash = pointer.lastIndexOf('/');
        ((ObjectNode) root.at(pointer.substring(0, slash))).remove(pointer.substring(slash + 1));
        String path = pointer.substring(1).replaceAll("/(\\d+)", "[$1]").replace('/', '.');
        assertThatThrownBy(() -> ReportJson.read(PLAIN.writeValueAsBytes(root)))
                .isInstanceOf(ReportFormatException.class)
                .hasMessage("report: " + path + " is missing (RFC 8460 §4.4 requires it)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/policies/0/policy/policy-string", "/policies/0/policy/mx-host", "/policies/0/failure-details",
        "/policies/0/failure-details/0/sending-mta-ip", "/policies/0/failure-details/0/receiving-mx-hostname",
        "/policies/0/failure-details/1/receiving-ip", "/policies/0/failure-details/1/additional-information",
        "/policies/0/failure-details/2/failure-reason-code"})
    void optionalFieldsMayBeAbsent(String pointer) throws Exception {
        JsonNode root = PLAIN.readTree(RFC_EXAMPLE);
        int slash = pointer.lastIndexOf('/');
        ((ObjectNode) root.at(pointer.substring(0, slash))).remove(pointer.substring(slash + 1));
        assertThat(ReportJson.read(PLAIN.writeValueAsBytes(root)).policies()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/organization-name|5|organization-name is not a non-empty string",
        "/organization-name|\"\"|organization-name is not a non-empty string",
        "/date-range|\"2016-04-01\"|date-range is not an object",
        "/date-range/start-datetime|\"2016-04-01\"|date-range.start-datetime '2016-04-01' is not an RFC 3339 date-time",
        "/date-range/start-datetime|\"2016-04-01 00:00:00Z\"|is not an RFC 3339 date-time",
        "/date-range/start-datetime|\"2016-04-01T00:00Z\"|is not an RFC 3339 date-time",
        "/date-range/start-datetime|\"2016-13-01T00:00:00Z\"|is not an RFC 3339 date-time",
        "/date-range/start-datetime|\"2016-04-01T00:00:00\"|is not an RFC 3339 date-time",
        "/date-range/start-datetime|\"2016-04-02T00:00:00Z\"|date-range.end-datetime is before start-datetime",
        "/policies|{}|policies is not an array",
        "/policies/0/policy/policy-type|\"dmarc\"|policies[0].policy.policy-type 'dmarc' is not sts, tlsa or no-policy-found",
        "/policies/0/policy/policy-string|\"version: STSv1\"|policies[0].policy.policy-string is not an array of strings",
        "/policies/0/policy/mx-host|[1]|policies[0].policy.mx-host[0] is not a string",
        "/policies/0/summary/total-successful-session-count|\"5326\"|total-successful-session-count is not an integer",
        "/policies/0/summary/total-successful-session-count|-1|total-successful-session-count is not an integer",
        "/policies/0/summary/total-successful-session-count|1.5|total-successful-session-count is not an integer",
        "/policies/0/summary/total-successful-session-count|5326.0|total-successful-session-count is not an integer",
        "/policies/0/summary/total-failure-session-count|9223372036854775808|total-failure-session-count is not an integer",
        "/policies/0/failure-details|{}|policies[0].failure-details is not an array",
        "/policies/0/failure-details/0/result-type|\"certificate-revoked\"|failure-details[0].result-type 'certificate-revoked' is not a result type",
        "/policies/0/failure-details/0/sending-mta-ip|[]|failure-details[0].sending-mta-ip is not a string",
        "/policies/0/failure-details/2/failed-session-count|true|failure-details[2].failed-session-count is not an integer",
    })
    void aMistypedFieldIsAnErrorNamingIt(String pointer, String json, String message) throws Exception {
        JsonNode root = PLAIN.readTree(RFC_EXAMPLE);
        int slash = pointer.lastIndexOf('/');
        String parent = pointer.substring(0, slash);
        String name = pointer.substring(slash + 1);
        JsonNode value = PLAIN.readTree(json);
        if (root.at(parent).isArray()) {
            ((ArrayNode) root.at(parent)).set(Integer.parseInt(name), value);
        } else {
            ((ObjectNode) root.at(parent)).set(name, value);
        }
        assertThatThrownBy(() -> ReportJson.read(PLAIN.writeValueAsBytes(root)))
                .isInstanceOf(ReportFormatException.class).hasMessageContaining(message);
    }

    @Test
    void dateTimesWithOffsetsAndLowerCaseLettersAreRfc3339() throws Exception {
        String json = RFC_EXAMPLE.replace("\"2016-04-01T00:00:00Z\"", "\"2016-04-01t02:00:00+02:00\"")
                .replace("\"2016-04-01T23:59:59Z\"", "\"2016-04-01t23:59:59.5z\"");
        TlsReport r = ReportJson.read(json.getBytes(StandardCharsets.UTF_8));
        assertThat(r.start()).isEqualTo(Instant.parse("2016-04-01T00:00:00Z"));
        assertThat(r.end()).isEqualTo(Instant.parse("2016-04-01T23:59:59.500Z"));
    }

    @Test
    void unknownMembersAreIgnored() throws Exception {
        String json = RFC_EXAMPLE.replace("\"organization-name\"", "\"x-extension\": {\"a\": [1, 2]}, \"organization-name\"");
        assertThat(ReportJson.read(json.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(ReportJson.read(RFC_EXAMPLE.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void equalFailureDetailsAreSummed() throws Exception {
        String json = RFC_EXAMPLE.replace("\"receiving-mx-hostname\": \"mx2.mail.company-y.example\"",
                "\"receiving-mx-hostname\": \"mx1.mail.company-y.example\"")
                .replace("\"receiving-ip\": \"203.0.113.56\",\n", "")
                .replace("\"result-type\": \"starttls-not-supported\"", "\"result-type\": \"certificate-expired\"")
                .replace("\"sending-mta-ip\": \"2001:db8:abcd:0013::1\"", "\"sending-mta-ip\": \"2001:db8:abcd:0012::1\"")
                .replace(",\n         \"additional-information\": \"https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported\"", "");
        TlsReport r = ReportJson.read(json.getBytes(StandardCharsets.UTF_8));
        assertThat(r.policies().get(0).failures()).hasSize(2);
        assertThat(r.policies().get(0).failures().values()).containsExactly(300L, 3L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "null", "[]", "\"report\"", "{", "{\"organization-name\": \"a\",}",
        "{\"organization-name\": \"a\"} {\"organization-name\": \"b\"}", "{\"organization-name\": \"a\"} x",
        "{\"organization-name\": \"a\", \"organization-name\": \"b\"}", "{'organization-name': 'a'}",
        "{\"organization-name\": \"\u001b[31m"})
    void whatIsNotAReportObjectIsAnError(String json) {
        assertThatThrownBy(() -> ReportJson.read(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ReportFormatException.class)
                .satisfies(e -> assertThat(e.getMessage().codePoints().filter(SafeText::isUnsafe).count()).isZero());
    }

    @Test
    void aValidReportWithTrailingDataOrADuplicateMemberIsRejected() {
        for (String json : new String[] {RFC_EXAMPLE + " {}", RFC_EXAMPLE + " x", RFC_EXAMPLE + "]",
            RFC_EXAMPLE.replace("\"contact-info\"", "\"organization-name\": \"Impostor\", \"contact-info\"")}) {
            assertThatThrownBy(() -> ReportJson.read(json.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(ReportFormatException.class).hasMessageStartingWith("report: not JSON");
        }
    }

    @Test
    void deepNestingIsRejectedWithoutRecursion() {
        String deep = "{\"x\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}";
        assertThatThrownBy(() -> ReportJson.read(deep.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ReportFormatException.class).hasMessageContaining("nested deeper than");
    }

    @Test
    void hugeNumbersAreRejectedBeforeParsing() {
        String json = RFC_EXAMPLE.replace("5326", "9".repeat(100_000));
        assertThatThrownBy(() -> ReportJson.read(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ReportFormatException.class).hasMessageContaining("is too long");
    }

    // ---- gzip (RFC 8460 §5.1, application/tlsrpt+gzip)

    @Test
    void gzipRoundTrip() throws Exception {
        TlsReport report = fullReport();
        byte[] gz = ReportJson.writeGzip(report);
        assertThat(gz[0] & 0xff).isEqualTo(0x1f);
        assertThat(gz[1] & 0xff).isEqualTo(0x8b);
        assertThat(ReportJson.gunzip(gz, ReportJson.DEFAULT_MAX_BYTES)).isEqualTo(ReportJson.write(report));
        assertThat(ReportJson.readGzip(gz, ReportJson.DEFAULT_MAX_BYTES)).isEqualTo(report);
        assertThat(ReportJson.MEDIA_TYPE_GZIP).isEqualTo("application/tlsrpt+gzip");
        assertThat(ReportJson.MEDIA_TYPE_JSON).isEqualTo("application/tlsrpt+json");
    }

    @Test
    void decompressionStopsAtTheCap() throws Exception {
        byte[] bomb = ReportJson.gzip(new byte[64 * 1024 * 1024]);
        assertThat(bomb.length).isLessThan(128 * 1024);
        assertThatThrownBy(() -> ReportJson.gunzip(bomb, 1024 * 1024))
                .isInstanceOf(ReportFormatException.class)
                .hasMessage("report: decompresses to more than 1048576 bytes");
        assertThatThrownBy(() -> ReportJson.readGzip(bomb, ReportJson.DEFAULT_MAX_BYTES))
                .isInstanceOf(ReportFormatException.class).hasMessageContaining("more than " + ReportJson.DEFAULT_MAX_BYTES);
    }

    @Test
    void exactlyTheCapIsAccepted() throws Exception {
        byte[] data = new byte[100_000];
        byte[] gz = ReportJson.gzip(data);
        assertThat(ReportJson.gunzip(gz, 100_000)).hasSize(100_000);
        assertThatThrownBy(() -> ReportJson.gunzip(gz, 99_999)).isInstanceOf(ReportFormatException.class);
    }

    @Test
    void whatIsNotGzipIsAnError() {
        byte[] json = ReportJson.write(fullReport());
        assertThatThrownBy(() -> ReportJson.gunzip(json, ReportJson.DEFAULT_MAX_BYTES))
                .isInstanceOf(ReportFormatException.class).hasMessageStartingWith("report: not gzip data");
        byte[] gz = ReportJson.gzip(json);
        byte[] truncated = java.util.Arrays.copyOf(gz, gz.length / 2);
        assertThatThrownBy(() -> ReportJson.gunzip(truncated, ReportJson.DEFAULT_MAX_BYTES))
                .isInstanceOf(ReportFormatException.class).hasMessageStartingWith("report: not gzip data");
        assertThatThrownBy(() -> ReportJson.gunzip(new byte[0], ReportJson.DEFAULT_MAX_BYTES))
                .isInstanceOf(ReportFormatException.class);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }
}
