package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.mtasts.MtaStsResolver;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.reporting.ReportDelivery;
import dev.jamesmtasts.reporting.ReportDestinations;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.TlsReport;
import dev.jamesmtasts.tlsrpt.TlsRptSettings;

/**
 * The James adapters of the report scheduler against the real test DNS and HTTPS servers:
 * {@link TlsRptDestinations} (every {@code lookupTlsRpt} outcome mapped) and {@link TlsRptDelivery}'s https:
 * POST, which honours {@code fetch.allowPrivateAddresses} exactly as the policy fetch does (same
 * {@link MtaStsSettings}): a rua resolving to loopback is refused unless allowed.
 */
class TlsRptTransportsTest {
    private static final LocalDate DAY = LocalDate.of(2026, 12, 1);
    private static MtaStsTestbed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        bed.dns().txt("_smtp._tls.found.test", "v=TLSRPTv1; rua=https://reports.found.test/x,mailto:r@found.test");
        bed.dns().txt("_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:a@two.test");
        bed.dns().txt("_smtp._tls.two.test", "v=TLSRPTv1; rua=mailto:b@two.test");
        bed.dns().txt("_smtp._tls.bad.test", "v=TLSRPTv1; rua=ftp://x.bad.test/");
        bed.dns().txt("_smtp._tls.fail.test", "v=TLSRPTv1; rua=mailto:r@fail.test");
        bed.dns().fault("_smtp._tls.fail.test", TestDnsServer.Fault.SERVFAIL);
        bed.dns().a("reports.post.test", "127.0.0.1");
        bed.https().host("reports.post.test", bed.ca().issue("reports.post.test"), TestHttpsServer.Response.ok("ok"));
    }

    @AfterAll
    static void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void destinationsMapEveryLookupOutcome() {
        try (MtaStsResolver resolver = new MtaStsResolver(bed.settings().build())) {
            TlsRptDestinations d = new TlsRptDestinations(resolver);
            ReportDestinations.Lookup found = d.lookup("found.test");
            assertThat(found.kind()).isEqualTo(ReportDestinations.Lookup.Kind.FOUND);
            assertThat(found.rua()).containsExactly(URI.create("https://reports.found.test/x"), URI.create("mailto:r@found.test"));
            // RFC 8460 §3: none, several records, an unusable one: the domain asks for no report
            assertThat(d.lookup("none.test").kind()).isEqualTo(ReportDestinations.Lookup.Kind.NONE);
            assertThat(d.lookup("two.test").kind()).isEqualTo(ReportDestinations.Lookup.Kind.NONE);
            assertThat(d.lookup("bad.test").kind()).isEqualTo(ReportDestinations.Lookup.Kind.NONE);
            ReportDestinations.Lookup temporary = d.lookup("fail.test");
            assertThat(temporary.kind()).isEqualTo(ReportDestinations.Lookup.Kind.TEMPORARY);
            assertThat(temporary.reason()).isNotBlank();
        }
    }

    @Test
    void anHttpsRuaOnALoopbackAddressIsPostedOnlyWhenPrivateAddressesAreAllowed() throws Exception {
        String rua = "https://reports.post.test:" + bed.https().port() + "/r";
        TlsReport report = report("post.test");
        int before = bed.https().requests("reports.post.test");

        try (TlsRptDelivery refused = delivery(bed.settings().allowPrivateAddresses(false).build())) {
            ReportDelivery.Result r = refused.deliver(URI.create(rua), report);
            assertThat(r.isDelivered()).isFalse();
            assertThat(r.reason()).isNotBlank();
            assertThat(bed.https().requests("reports.post.test")).isEqualTo(before);
        }
        try (TlsRptDelivery allowed = delivery(bed.settings().build())) {
            ReportDelivery.Result r = allowed.deliver(URI.create(rua), report);
            assertThat(r.isDelivered()).as(String.valueOf(r)).isTrue();
            assertThat(bed.https().requests("reports.post.test")).isEqualTo(before + 1);
            assertThat(ReportJson.readGzip(bed.https().lastRequestBody("reports.post.test"), ReportJson.DEFAULT_MAX_BYTES))
                    .isEqualTo(report);
        }
    }

    @Test
    void aMailtoRuaWithoutAMailetContextAndAnUnknownSchemeFailWithAReason() {
        try (TlsRptDelivery d = delivery(bed.settings().build())) {
            ReportDelivery.Result noContext = d.deliver(URI.create("mailto:r@post.test"), report("post.test"));
            assertThat(noContext.isDelivered()).isFalse();
            assertThat(noContext.reason()).contains("mailet context");
            ReportDelivery.Result ftp = d.deliver(URI.create("ftp://x.post.test/"), report("post.test"));
            assertThat(ftp.isDelivered()).isFalse();
            assertThat(ftp.reason()).contains("ftp");
        }
    }

    private static TlsRptDelivery delivery(MtaStsSettings network) {
        TlsRptSettings s = TlsRptSettings.builder().enabled(true).organizationName("Org").submitter("james.local")
                .sender("tlsrpt@james.local").build();
        return new TlsRptDelivery(s, network, () -> null);
    }

    private static TlsReport report(String domain) {
        return new TlsReport("Org", ReportId.start(DAY), ReportId.end(DAY), "tlsrpt@james.local",
                ReportId.of(DAY, domain, "james.local"), List.of(new TlsReport.PolicyResults(
                        AppliedPolicy.sts(domain, "version: STSv1\nmode: enforce\nmx: mx." + domain + "\nmax_age: 86400\n",
                                List.of("mx." + domain)), 5, 0, Map.of())));
    }

}
