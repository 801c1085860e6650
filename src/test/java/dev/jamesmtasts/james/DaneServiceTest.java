package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import dev.jamesmtasts.dane.DaneDomain;
import dev.jamesmtasts.dane.DaneSettings;
import dev.jamesmtasts.testing.TestDnsServer;

/**
 * {@link DaneService}'s self-check against real DNS servers on loopback: a resolver that passes DNSSEC
 * records makes DANE active; one that strips them (every signed zone would look bogus) turns DANE off
 * (and a mailet's domains are then delivered as without DANE, a required one deferred); one that does not
 * answer leaves it off until a check answers; the next check switches it on once validation works.
 */
class DaneServiceTest {
    private static DaneSettings settings(String anchors, Duration interval) {
        return DaneSettings.builder().trustAnchors(anchors).queryTimeout(Duration.ofMillis(500))
                .lookupTimeout(Duration.ofSeconds(2)).selfCheckInterval(interval).build();
    }

    @Test
    void aResolverPassingDnssecRecordsMakesDaneActive() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start()) {
            dns.signedZone(".");
            DaneService service = new DaneService(settings(dns.trustAnchor("."), Duration.ZERO), List.of(dns.address()));
            try {
                assertThat(service.active()).isFalse();
                assertThat(service.policy()).isNull();
                service.activate();
                assertThat(service.active()).as(service.state()).isTrue();
                assertThat(service.state()).startsWith("active");
                assertThat(service.policy()).isNotNull();
            } finally {
                service.stop();
            }
            assertThat(service.active()).isFalse();
        }
    }

    @Test
    void aResolverStrippingDnssecRecordsTurnsDaneOffAndMailFlowsAsWithoutIt() throws Exception {
        try (TestDnsServer signed = TestDnsServer.start(); TestDnsServer stripping = TestDnsServer.start()) {
            signed.signedZone(".");
            stripping.mx("example.test.", 10, "mx.example.test."); // no zone declared: no DNSSEC record at all
            DaneService service = new DaneService(settings(signed.trustAnchor("."), Duration.ZERO),
                    List.of(stripping.address()));
            try {
                service.activate();
                assertThat(service.active()).isFalse();
                assertThat(service.state()).contains("DNSSEC validation does not work");
                DaneDecider decider = DaneDecider.of(MtaStsMailetSettings.parse(MtaStsMailetSettingsTest.config(
                        "daneOverrides", "must.example=require")), false, service);
                DaneDomain followed = decider.decide("example.test");
                assertThat(followed.status()).isEqualTo(DaneDomain.Status.OFF);
                assertThat(followed.defer()).isFalse();
                assertThat(decider.decide("must.example").defer()).isTrue();
            } finally {
                service.stop();
            }
        }
    }

    @Test
    void noAnswerLeavesDaneOffUntilACheckAnswers() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start()) {
            dns.signedZone(".").fault(".", Type.DNSKEY, TestDnsServer.Fault.DROP);
            DaneService service = new DaneService(settings(dns.trustAnchor("."), Duration.ofHours(1)),
                    List.of(dns.address()));
            try {
                service.activate();
                assertThat(service.active()).isFalse();
                assertThat(service.state()).contains("no answer yet");
                dns.fault(".", Type.DNSKEY, null);
                assertThat(service.check()).as("next check after an answer: the interval").isEqualTo(3600);
                assertThat(service.active()).as(service.state()).isTrue();
            } finally {
                service.stop();
            }
        }
    }
}
