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
                DaneStatus before = service.status();
                assertThat(before.used()).isFalse();
                assertThat(before.mode()).isEqualTo(DaneStatus.NO_MAILET);
                assertThat(before.lastCheck()).isEqualTo(DaneStatus.Check.NOT_RUN);
                assertThat(before.lastCheckAt()).isNull();
                assertThat(DaneHealthCheck.result(before).isHealthy()).as("DANE not used: healthy").isTrue();
                service.mailetConfigured(MtaStsMailetSettings.Dane.FOLLOW);
                service.activate();
                assertThat(service.active()).as(service.state()).isTrue();
                assertThat(service.state()).startsWith("active");
                assertThat(service.policy()).isNotNull();
                DaneStatus s = service.status();
                assertThat(s.mode()).isEqualTo("follow");
                assertThat(s.used()).isTrue();
                assertThat(s.active()).isTrue();
                assertThat(s.everWorked()).isTrue();
                assertThat(s.lastCheck()).isEqualTo(DaneStatus.Check.OK);
                assertThat(s.lastCheckAt()).isNotNull();
                assertThat(s.toMap()).containsEntry("selfCheck", "ok").containsEntry("active", true)
                        .containsEntry("everWorked", true);
                assertThat(DaneHealthCheck.result(s).isHealthy()).isTrue();
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
                service.mailetConfigured(MtaStsMailetSettings.Dane.FOLLOW);
                service.mailetConfigured(MtaStsMailetSettings.Dane.OFF);
                service.activate();
                assertThat(service.active()).isFalse();
                assertThat(service.state()).contains("DNSSEC validation does not work");
                DaneStatus s = service.status();
                assertThat(s.mode()).as("two mailets, two settings").isEqualTo("follow,off");
                assertThat(s.lastCheck()).isEqualTo(DaneStatus.Check.FAILED);
                assertThat(s.lastReason()).isNotEmpty();
                assertThat(s.everWorked()).isFalse();
                org.apache.james.core.healthcheck.Result health = DaneHealthCheck.result(s);
                assertThat(health.isDegraded()).as("never worked: degraded, never unhealthy").isTrue();
                assertThat(health.getCause()).hasValueSatisfying(c -> assertThat(c)
                        .contains("configured but OFF", "never worked", "dane.resolvers", "dane.trustAnchors",
                                "dane parameter to off"));
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
                assertThat(service.status().lastCheck()).isEqualTo(DaneStatus.Check.NO_ANSWER);
                assertThat(DaneHealthCheck.result(service.status()).getCause())
                        .hasValueSatisfying(c -> assertThat(c).contains("no answer yet", "dane.resolvers"));
                dns.fault(".", Type.DNSKEY, null);
                assertThat(service.check()).as("next check after an answer: the interval").isEqualTo(3600);
                assertThat(service.active()).as(service.state()).isTrue();
            } finally {
                service.stop();
            }
        }
    }

    @Test
    void aCheckFailingAfterOneSucceededIsNoDowngradeSwitchDaneStaysOnAndSignedMailDefers() throws Exception {
        try (TestDnsServer dns = TestDnsServer.start()) {
            dns.signedZone(".").mx("example.test.", 10, "mx.example.test.");
            DaneService service = new DaneService(settings(dns.trustAnchor("."), Duration.ofHours(1)),
                    List.of(dns.address()));
            try {
                service.activate();
                assertThat(service.active()).as(service.state()).isTrue();
                assertThat(service.selfCheckOk()).isTrue();
                DaneDecider decider = DaneDecider.of(MtaStsMailetSettings.parse(MtaStsMailetSettingsTest.config()),
                        false, service);

                // an on-path attacker strips the root's signatures: the next check fails (RFC 7672 §1.3 downgrade)
                dns.signatureFault(".", Type.DNSKEY, TestDnsServer.SignatureFault.MISSING)
                        .signatureFault("example.test.", Type.MX, TestDnsServer.SignatureFault.MISSING);
                service.cache().clear();
                assertThat(service.check()).isEqualTo(3600);

                assertThat(service.active()).as("a failing check never turns DANE off once it worked").isTrue();
                assertThat(service.selfCheckOk()).isFalse();
                assertThat(service.state()).contains("self-check fails");
                DaneStatus failing = service.status();
                assertThat(failing.active()).isTrue();
                assertThat(failing.everWorked()).isTrue();
                assertThat(failing.lastCheck()).isEqualTo(DaneStatus.Check.FAILED);
                org.apache.james.core.healthcheck.Result health = DaneHealthCheck.result(failing);
                assertThat(health.isDegraded()).isTrue();
                assertThat(health.getCause()).hasValueSatisfying(c -> assertThat(c)
                        .contains("active but its DNSSEC self-check fails", "deferred"));
                DaneDomain d = decider.decide("example.test");
                assertThat(d.status()).as(d.detail()).isNotEqualTo(DaneDomain.Status.OFF);
                assertThat(d.defer()).as("bogus: deferred, never delivered as without DANE: " + d.status() + " "
                        + d.detail()).isTrue();

                dns.signatureFault(".", Type.DNSKEY, null).signatureFault("example.test.", Type.MX, null);
                service.check();
                assertThat(service.selfCheckOk()).isTrue();
                assertThat(service.active()).isTrue();
                assertThat(DaneHealthCheck.result(service.status()).isHealthy()).isTrue();
            } finally {
                service.stop();
            }
        }
    }
}
