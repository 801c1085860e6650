package dev.jamesmtasts.tlsrpt;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.mtasts.SafeJson;
import dev.jamesmtasts.mtasts.SafeText;

/**
 * A {@link TlsReport} as the JSON of RFC 8460 §4.4, and back; and its gzip form (RFC 8460 §5.1,
 * {@value #MEDIA_TYPE_GZIP}).
 *
 * <p>Writing: the field names and nesting of §4.4, in its order; date-times in RFC 3339 UTC
 * ({@code 2026-12-01T00:00:00Z}); {@code mx-host} as an array (erratum 6241); optional
 * {@code failure-details} fields omitted when null; for {@code no-policy-found},
 * {@code policy-string} and {@code mx-host} omitted when empty (there is no policy to encode; an
 * {@code sts} policy always carries both, an empty {@code mx-host} array for a policy without
 * {@code mx} lines); {@code failure-details} always present, {@code []} when nothing failed. Strings
 * are escaped by {@link SafeJson}'s rule: quotes, backslashes and controls as JSON requires, plus
 * DEL, C1, bidi controls, U+2028/U+2029 and lone surrogates as {@code \\uXXXX}, so that a hostile MX
 * name or HELO cannot break a receiver's line-oriented tooling.
 *
 * <p>Reading is strict about what §4.4 requires (a missing or mistyped field is an error naming its
 * JSON path), lenient about members it does not know (ignored, so later extensions still read):
 * <ul>
 *   <li>required: {@code organization-name}, {@code date-range.start-datetime/end-datetime}
 *       (RFC 3339 with seconds, any offset), {@code contact-info}, {@code report-id},
 *       {@code policies[]}, and in each {@code policy.policy-type}, {@code policy.policy-domain},
 *       {@code summary.total-successful-session-count}, {@code summary.total-failure-session-count};
 *       in each {@code failure-details[]} entry {@code result-type} and {@code failed-session-count};</li>
 *   <li>counts are JSON integers from 0 to 2^63-1; {@code result-type} and {@code policy-type} must be
 *       names RFC 8460 §4.3/§4.4 defines;</li>
 *   <li>{@code mx-host} may be one string instead of an array (the §4.5 example, before erratum 6241);</li>
 *   <li>two equal failure details of one policy are summed into one;</li>
 *   <li>duplicate member names, trailing data, nesting deeper than {@value #MAX_DEPTH} and integers of
 *       more than 19 digits are rejected before any tree is built (Jackson 2.14, which James 3.8.1
 *       ships, has no such limits of its own).</li>
 * </ul>
 */
public final class ReportJson {
    /** RFC 8460 §5.1/§6.4: a report as plain JSON. */
    public static final String MEDIA_TYPE_JSON = "application/tlsrpt+json";
    /** RFC 8460 §5.1/§6.5: a report as gzip-compressed JSON, the form this MTA sends. */
    public static final String MEDIA_TYPE_GZIP = "application/tlsrpt+gzip";
    /** The default cap on a decompressed report for {@link #readGzip(byte[], int)} (5 MiB, Stalwart's bound too). */
    public static final int DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
    /** The deepest nesting a report has is 4 (root, policies, entry, policy); anything far deeper is hostile. */
    static final int MAX_DEPTH = 16;

    private static final ObjectMapper WRITER = SafeJson.newMapper();
    private static final ObjectMapper READER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** RFC 3339 §5.6 date-time; seconds required; 'T'/'Z' in either case (§5.6 NOTE). */
    private static final Pattern DATE_TIME = Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})");

    private ReportJson() {
    }

    // ---------------------------------------------------------------- writing

    /**
     * {@code report} as RFC 8460 §4.4 JSON, UTF-8.
     *
     * @throws IllegalArgumentException when a count is negative (a bug upstream: never sent)
     */
    public static byte[] write(TlsReport report) {
        ObjectNode root = WRITER.createObjectNode();
        root.put("organization-name", report.organizationName());
        ObjectNode range = root.putObject("date-range");
        range.put("start-datetime", dateTime(report.start()));
        range.put("end-datetime", dateTime(report.end()));
        root.put("contact-info", report.contactInfo());
        root.put("report-id", report.reportId());
        ArrayNode policies = root.putArray("policies");
        for (TlsReport.PolicyResults results : report.policies()) {
            ObjectNode entry = policies.addObject();
            AppliedPolicy applied = results.policy();
            ObjectNode policy = entry.putObject("policy");
            policy.put("policy-type", applied.type().label());
            if (applied.type() != PolicyType.NO_POLICY_FOUND || !applied.policyString().isEmpty()) {
                strings(policy.putArray("policy-string"), applied.policyString());
            }
            policy.put("policy-domain", applied.policyDomain());
            if (applied.type() == PolicyType.STS || !applied.mxHosts().isEmpty()) {
                strings(policy.putArray("mx-host"), applied.mxHosts());
            }
            ObjectNode summary = entry.putObject("summary");
            summary.put("total-successful-session-count", count(results.successfulSessions()));
            summary.put("total-failure-session-count", count(results.failedSessions()));
            ArrayNode details = entry.putArray("failure-details");
            for (Map.Entry<FailureDetail, Long> failure : results.failures().entrySet()) {
                FailureDetail f = failure.getKey();
                ObjectNode d = details.addObject();
                d.put("result-type", f.resultType().label());
                putOptional(d, "sending-mta-ip", f.sendingMtaIp());
                putOptional(d, "receiving-mx-hostname", f.receivingMxHostname());
                putOptional(d, "receiving-mx-helo", f.receivingMxHelo());
                putOptional(d, "receiving-ip", f.receivingIp());
                d.put("failed-session-count", count(failure.getValue()));
                putOptional(d, "additional-information", f.additionalInformation());
                putOptional(d, "failure-reason-code", f.failureReasonCode());
            }
        }
        try {
            return WRITER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree cannot fail to serialise", e);
        }
    }

    /** {@link #write} then {@link #gzip}: the body of an {@value #MEDIA_TYPE_GZIP} POST or attachment. */
    public static byte[] writeGzip(TlsReport report) {
        return gzip(write(report));
    }

    /** RFC 3339 UTC, whole seconds unless the instant has a fraction: {@code 2026-12-01T00:00:00Z}. */
    static String dateTime(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    private static void strings(ArrayNode array, List<String> values) {
        for (String v : values) {
            array.add(v);
        }
    }

    private static void putOptional(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static long count(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative session count " + n);
        }
        return n;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads RFC 8460 §4.4 JSON (UTF-8, as {@link #write} produces and as other senders send).
     *
     * @throws ReportFormatException naming the first field that is missing, mistyped or out of range
     */
    public static TlsReport read(byte[] json) throws ReportFormatException {
        checkShape(json);
        JsonNode root;
        try {
            root = READER.readTree(json);
        } catch (IOException e) {
            throw new ReportFormatException("report: not JSON: " + SafeText.of(originalMessage(e), 200), e);
        }
        if (root == null || !root.isObject()) {
            throw new ReportFormatException("report: the top level is not a JSON object");
        }
        JsonNode range = object(root, "date-range", "");
        Instant start = dateTime(range, "start-datetime", "date-range.");
        Instant end = dateTime(range, "end-datetime", "date-range.");
        if (end.isBefore(start)) {
            throw new ReportFormatException("report: date-range.end-datetime is before start-datetime");
        }
        String organization = text(root, "organization-name", "");
        String contact = text(root, "contact-info", "");
        String reportId = text(root, "report-id", "");
        JsonNode policies = array(root, "policies", "");
        List<TlsReport.PolicyResults> results = new ArrayList<>(policies.size());
        for (int i = 0; i < policies.size(); i++) {
            results.add(policyResults(policies.get(i), "policies[" + i + "]"));
        }
        return new TlsReport(organization, start, end, contact, reportId, results);
    }

    /** {@link #gunzip} then {@link #read}. */
    public static TlsReport readGzip(byte[] gz, int maxBytes) throws ReportFormatException {
        return read(gunzip(gz, maxBytes));
    }

    private static TlsReport.PolicyResults policyResults(JsonNode entry, String path) throws ReportFormatException {
        if (!entry.isObject()) {
            throw new ReportFormatException("report: " + path + " is not an object");
        }
        String policyPath = path + ".policy";
        JsonNode policy = object(entry, "policy", path + ".");
        String typeName = text(policy, "policy-type", policyPath + ".");
        PolicyType type = PolicyType.fromLabel(typeName).orElseThrow(() -> new ReportFormatException("report: "
                + policyPath + ".policy-type " + SafeText.quoted(typeName) + " is not sts, tlsa or no-policy-found (RFC 8460 §4.4)"));
        String domain = text(policy, "policy-domain", policyPath + ".");
        List<String> policyString = optionalStrings(policy, "policy-string", policyPath + ".", false);
        List<String> mxHosts = optionalStrings(policy, "mx-host", policyPath + ".", true);
        JsonNode summary = object(entry, "summary", path + ".");
        long successful = count(summary, "total-successful-session-count", path + ".summary.");
        long failed = count(summary, "total-failure-session-count", path + ".summary.");
        Map<FailureDetail, Long> failures = new LinkedHashMap<>();
        JsonNode details = entry.get("failure-details");
        if (details != null && !details.isNull()) {
            if (!details.isArray()) {
                throw new ReportFormatException("report: " + path + ".failure-details is not an array");
            }
            for (int i = 0; i < details.size(); i++) {
                String detailPath = path + ".failure-details[" + i + "]";
                JsonNode d = details.get(i);
                if (!d.isObject()) {
                    throw new ReportFormatException("report: " + detailPath + " is not an object");
                }
                String resultName = text(d, "result-type", detailPath + ".");
                ResultType resultType = ResultType.fromLabel(resultName).orElseThrow(() -> new ReportFormatException(
                        "report: " + detailPath + ".result-type " + SafeText.quoted(resultName)
                                + " is not a result type of RFC 8460 §4.3"));
                FailureDetail detail = new FailureDetail(resultType,
                        optionalText(d, "sending-mta-ip", detailPath + "."),
                        optionalText(d, "receiving-mx-hostname", detailPath + "."),
                        optionalText(d, "receiving-mx-helo", detailPath + "."),
                        optionalText(d, "receiving-ip", detailPath + "."),
                        optionalText(d, "additional-information", detailPath + "."),
                        optionalText(d, "failure-reason-code", detailPath + "."));
                long n = count(d, "failed-session-count", detailPath + ".");
                Long before = failures.get(detail);
                try {
                    failures.put(detail, before == null ? n : Math.addExact(before, n));
                } catch (ArithmeticException e) {
                    throw new ReportFormatException("report: " + detailPath + ".failed-session-count overflows");
                }
            }
        }
        return new TlsReport.PolicyResults(new AppliedPolicy(type, domain, policyString, mxHosts), successful, failed,
                failures);
    }

    /**
     * One streaming pass before the tree is built: nesting depth and integer length bounded, so that
     * neither the tree builder's recursion nor big-number parsing can be driven by the input.
     */
    private static void checkShape(byte[] json) throws ReportFormatException {
        try (JsonParser p = READER.getFactory().createParser(json)) {
            int depth = 0;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    if (++depth > MAX_DEPTH) {
                        throw new ReportFormatException("report: JSON nested deeper than " + MAX_DEPTH);
                    }
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                } else if ((t == JsonToken.VALUE_NUMBER_INT && p.getTextLength() > 20)
                        || (t == JsonToken.VALUE_NUMBER_FLOAT && p.getTextLength() > 64)) {
                    throw new ReportFormatException("report: number " + SafeText.of(p.getText(), 40) + " is too long");
                }
            }
        } catch (IOException e) {
            throw new ReportFormatException("report: not JSON: " + SafeText.of(originalMessage(e), 200), e);
        }
    }

    private static String originalMessage(IOException e) {
        return e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage();
    }

    private static JsonNode field(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new ReportFormatException("report: " + path + name + " is missing (RFC 8460 §4.4 requires it)");
        }
        return v;
    }

    private static JsonNode object(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = field(node, name, path);
        if (!v.isObject()) {
            throw new ReportFormatException("report: " + path + name + " is not an object");
        }
        return v;
    }

    private static JsonNode array(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = field(node, name, path);
        if (!v.isArray()) {
            throw new ReportFormatException("report: " + path + name + " is not an array");
        }
        return v;
    }

    private static String text(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = field(node, name, path);
        if (!v.isTextual() || v.textValue().isEmpty()) {
            throw new ReportFormatException("report: " + path + name + " is not a non-empty string");
        }
        return v.textValue();
    }

    private static String optionalText(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ReportFormatException("report: " + path + name + " is not a string");
        }
        return v.textValue();
    }

    private static List<String> optionalStrings(JsonNode node, String name, String path, boolean oneStringAllowed)
            throws ReportFormatException {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (oneStringAllowed && v.isTextual()) {
            return List.of(v.textValue());
        }
        if (!v.isArray()) {
            throw new ReportFormatException("report: " + path + name + " is not an array of strings");
        }
        List<String> out = new ArrayList<>(v.size());
        for (Iterator<JsonNode> it = v.elements(); it.hasNext(); ) {
            JsonNode s = it.next();
            if (!s.isTextual()) {
                throw new ReportFormatException("report: " + path + name + "[" + out.size() + "] is not a string");
            }
            out.add(s.textValue());
        }
        return out;
    }

    private static long count(JsonNode node, String name, String path) throws ReportFormatException {
        JsonNode v = field(node, name, path);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new ReportFormatException("report: " + path + name + " is not an integer from 0 to " + Long.MAX_VALUE);
        }
        return v.longValue();
    }

    private static Instant dateTime(JsonNode node, String name, String path) throws ReportFormatException {
        String s = text(node, name, path);
        if (DATE_TIME.matcher(s).matches()) {
            try {
                return OffsetDateTime.parse(s.toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                // out-of-range field (month 13, hour 25): reported below
            }
        }
        throw new ReportFormatException("report: " + path + name + " " + SafeText.quoted(s)
                + " is not an RFC 3339 date-time such as 2026-12-01T00:00:00Z");
    }

    // ---------------------------------------------------------------- gzip

    /** {@code data} gzip-compressed (RFC 1952), as RFC 8460 §5.1 asks of {@value #MEDIA_TYPE_GZIP}. */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("gzip to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * {@code gz} decompressed, at most {@code maxBytes} of it: decompression stops as soon as the output
     * would exceed the cap (a gzip bomb costs at most {@code maxBytes} of memory and the time to inflate them).
     *
     * @throws ReportFormatException when {@code gz} is not gzip data or decompresses to more than {@code maxBytes}
     */
    public static byte[] gunzip(byte[] gz, int maxBytes) throws ReportFormatException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, Math.max(256, gz.length * 4)));
        byte[] buf = new byte[8192];
        long total = 0;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new ReportFormatException("report: decompresses to more than " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw new ReportFormatException("report: not gzip data (" + SafeText.of(e.getMessage()) + ")", e);
        }
        return out.toByteArray();
    }
}
