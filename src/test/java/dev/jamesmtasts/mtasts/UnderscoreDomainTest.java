package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Type;

import dev.jamesmtasts.testing.MtaStsTestbed;

/**
 * Issue 9: a recipient domain with {@code _} in a label (James accepts it; DNS holds it, RFC 2181 §11)
 * is normalized and looked up like any other (RFC 8461 §3.1: {@code _mta-sts.<domain>} TXT); its
 * policy host {@code mta-sts.<domain>} is not a valid host name, so no certificate can name it
 * (RFC 8461 §3.3) and the fetch is a typed HOST_NOT_FOUND failure, made without any traffic. The
 * outcome is "no usable policy", never an error that defers the mail.
 */
class UnderscoreDomainTest {

    @Test
    void aDomainWithAnUnderscoreIsNormalizedKeepingTheUnderscore() {
        assertThat(Domains.normalize("Mail_Relay.Example.")).isEqualTo("mail_relay.example");
        assertThat(Domains.normalize("_private.example")).isEqualTo("_private.example");
        assertThat(Domains.normalize("a_b.B\u00fccher.example")).isEqualTo("a_b.xn--bcher-kva.example");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b.example", "a!b.example", "a/b.example", "a\u0000b.example", "-a_b.example",
        "a_b-.example", "a_b..example"})
    void otherCharactersAndBadLabelsAreStillRefused(String domain) {
        assertThatThrownBy(() -> Domains.normalize(domain)).as(domain).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void underscoreLabelsAreStillNoHostNames() {
        // MX patterns (RFC 8461 §3.2) and policy hosts stay letters, digits and hyphens.
        assertThat(Domains.isLdhDomain("a_b.example")).isFalse();
    }

    @Test
    void theTxtRecordOfAnUnderscoreDomainIsLookedUp() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver resolver = new MtaStsResolver(bed.settings().build())) {
            bed.dns().txt("_mta-sts.found_it.example", "v=STSv1; id=u1;");
            RecordLookupResult r = resolver.lookupRecord(Domains.normalize("Found_It.example"));
            assertThat(r.kind()).as(r.toString()).isEqualTo(RecordLookupResult.Kind.FOUND);
            assertThat(r.record().id()).isEqualTo("u1");
            assertThat(bed.dns().queries("_mta-sts.found_it.example", Type.TXT)).isEqualTo(1);
        }
    }

    @Test
    void anUnderscoreDomainWithoutRecordHasNoPolicy() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver resolver = new MtaStsResolver(bed.settings().build())) {
            LookupResult r = resolver.lookup(Domains.normalize("no_record.example"));
            assertThat(r.kind()).as(r.toString()).isEqualTo(LookupResult.Kind.NONE);
        }
    }

    @Test
    void itsPolicyHostIsNoHostNameSoTheFetchIsATypedFailureWithoutTraffic() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver resolver = new MtaStsResolver(bed.settings().build())) {
            bed.dns().txt("_mta-sts.with_record.example", "v=STSv1; id=u2;")
                    .a("mta-sts.with_record.example", "127.0.0.1");
            LookupResult r = resolver.lookup(Domains.normalize("with_record.example"));
            assertThat(r.kind()).as(r.toString()).isEqualTo(LookupResult.Kind.FETCH_ERROR);
            assertThat(r.fetchFailure()).isEqualTo(FetchFailure.HOST_NOT_FOUND);
            assertThat(r.reason()).contains("not a valid host name");
            assertThat(r.record().id()).isEqualTo("u2");
            assertThat(bed.dns().queries("mta-sts.with_record.example", Type.A)).isZero();
            assertThat(bed.dns().queries("mta-sts.with_record.example", Type.AAAA)).isZero();
            assertThat(bed.https().requests("mta-sts.with_record.example")).isZero();
        }
    }

    @Test
    void aDomainTooLongForItsPolicyHostNameGivesTheSameTypedFailure() throws IOException {
        try (MtaStsTestbed bed = MtaStsTestbed.start();
             MtaStsResolver resolver = new MtaStsResolver(bed.settings().build())) {
            // 249 characters is a valid domain, but mta-sts.<domain> exceeds 253.
            String domain = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + "." + "d".repeat(58) + ".example";
            assertThat(Domains.normalize(domain)).isEqualTo(domain);
            PolicyFetchResult f = resolver.fetchPolicy(domain);
            assertThat(f.failure()).as(f.toString()).isEqualTo(FetchFailure.HOST_NOT_FOUND);
            assertThat(f.detail()).contains("not a valid host name");
        }
    }
}
