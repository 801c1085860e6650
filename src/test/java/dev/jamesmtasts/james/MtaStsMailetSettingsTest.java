package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.mtasts.StsPolicy;

class MtaStsMailetSettingsTest {
    /** A mailet configuration of {@code name, value} pairs (also used by other tests of this package). */
    static MailetConfig config(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return new MailetConfig() {
            @Override
            public String getInitParameter(String name) {
                return m.get(name);
            }

            @Override
            public Iterator<String> getInitParameterNames() {
                return m.keySet().iterator();
            }

            @Override
            public MailetContext getMailetContext() {
                return null;
            }

            @Override
            public String getMailetName() {
                return "MtaStsRemoteDelivery";
            }
        };
    }

    @Test
    void defaultsFollowPublishedPoliciesAndDeferOnLookupError() throws Exception {
        MtaStsMailetSettings s = MtaStsMailetSettings.parse(config());
        assertThat(s.mode).isEqualTo(MtaStsMailetSettings.Mode.FOLLOW);
        assertThat(s.onLookupError).isEqualTo(MtaStsMailetSettings.OnLookupError.DEFER);
        assertThat(s.overrides).isEmpty();
        assertThat(s.trustStore).isNull();
    }

    @Test
    void overridesParseOffTestingAndLocalEnforcePolicies() throws Exception {
        MtaStsMailetSettings s = MtaStsMailetSettings.parse(config("mtaStsMode", "Report", "mtaStsOnLookupError", "deliver",
                "mtaStsOverrides", "Example.COM=off;\n other.example = enforce: mx1.other.example, *.mx.other.example ;"
                        + " t.example=testing; u.example=testing:mx.u.example"));
        assertThat(s.mode).isEqualTo(MtaStsMailetSettings.Mode.REPORT);
        assertThat(s.onLookupError).isEqualTo(MtaStsMailetSettings.OnLookupError.DELIVER);
        assertThat(s.overrideFor("example.com").kind).isEqualTo(MtaStsMailetSettings.DomainOverride.Kind.OFF);
        MtaStsMailetSettings.DomainOverride o = s.overrideFor("OTHER.example.");
        assertThat(o.kind).isEqualTo(MtaStsMailetSettings.DomainOverride.Kind.ENFORCE);
        assertThat(o.localPolicy.mode()).isEqualTo(StsPolicy.Mode.ENFORCE);
        assertThat(o.localPolicy.matchesMx("mx1.other.example")).isTrue();
        assertThat(o.localPolicy.matchesMx("a.mx.other.example")).isTrue();
        assertThat(o.localPolicy.matchesMx("a.b.mx.other.example")).isFalse();
        assertThat(s.overrideFor("t.example").localPolicy).isNull();
        assertThat(s.overrideFor("u.example").localPolicy.mode()).isEqualTo(StsPolicy.Mode.TESTING);
        assertThat(s.overrideFor("none.example")).isNull();
    }

    @Test
    void wrongValuesNameTheParameter() {
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsMode", "sometimes")))
                .isInstanceOf(MessagingException.class).hasMessageContaining("mtaStsMode")
                .hasMessageContaining("follow|report|off");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOnLookupError", "bounce")))
                .hasMessageContaining("mtaStsOnLookupError");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOverrides", "a.example=enforce")))
                .hasMessageContaining("mtaStsOverrides").hasMessageContaining("needs mx patterns");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOverrides", "a.example=enforce:*.*.a.example")))
                .hasMessageContaining("mtaStsOverrides");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOverrides", "a.example=maybe")))
                .hasMessageContaining("mtaStsOverrides");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOverrides", "a.example=off; A.example=testing")))
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsOverrides", "no-equals-sign")))
                .hasMessageContaining("mtaStsOverrides");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("mtaStsTrustStore", "/nonexistent/trust.p12")))
                .hasMessageContaining("mtaStsTrustStore");
    }

    @Test
    void strictViewRequiresTlsAndStripsSslTrust() {
        OverlayMailetConfig strict = DeliverySessions.strictView(config("startTLS", "false",
                "verifyServerIdentity", "false", "mail.smtp.ssl.trust", "*", "mail.smtp.starttls.required", "false"));
        assertThat(strict.getInitParameter("mail.smtp.ssl.trust")).isNull();
        assertThat(strict.getInitParameter("startTLS")).isEqualTo("true");
        assertThat(strict.getInitParameter("verifyServerIdentity")).isEqualTo("true");
        assertThat(strict.getInitParameter("mail.smtp.starttls.required")).isEqualTo("true");
        assertThat(strict.getInitParameter("mail.smtp.ssl.socketFactory.class"))
                .isEqualTo(ObservingSslSocketFactory.class.getName());
        assertThat(strict.getInitParameterNames()).toIterable().doesNotContain("mail.smtp.ssl.trust");
    }

    @Test
    void daneFollowsByDefaultAndOverridesTurnItOffOnOrRequireIt() throws Exception {
        MtaStsMailetSettings defaults = MtaStsMailetSettings.parse(config());
        assertThat(defaults.dane).isEqualTo(MtaStsMailetSettings.Dane.FOLLOW);
        assertThat(defaults.daneOverrides).isEmpty();
        MtaStsMailetSettings s = MtaStsMailetSettings.parse(config("dane", "OFF",
                "daneOverrides", "Broken.Example=off;\n strict.example = require ; on.example=follow"));
        assertThat(s.dane).isEqualTo(MtaStsMailetSettings.Dane.OFF);
        assertThat(MtaStsMailetSettings.overrideFor(s.daneOverrides, "broken.example."))
                .isEqualTo(MtaStsMailetSettings.Dane.OFF);
        assertThat(MtaStsMailetSettings.overrideFor(s.daneOverrides, "STRICT.example"))
                .isEqualTo(MtaStsMailetSettings.Dane.REQUIRE);
        assertThat(s.daneUsed()).isTrue();
        assertThat(MtaStsMailetSettings.parse(config("dane", "off")).daneUsed()).isFalse();
    }

    @Test
    void wrongDaneValuesNameTheParameter() {
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("dane", "maybe")))
                .hasMessageContaining("dane").hasMessageContaining("follow|off|require");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("dane", "require")))
                .hasMessageContaining("daneOverrides");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("daneOverrides", "a.example=enforce")))
                .hasMessageContaining("daneOverrides").hasMessageContaining("off, follow or require");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("daneOverrides", "a.example=off; A.EXAMPLE=follow")))
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> MtaStsMailetSettings.parse(config("daneOverrides", "require")))
                .hasMessageContaining("daneOverrides");
    }

    @Test
    void daneViewRequiresTlsWithoutJavaMailsNameCheck() {
        OverlayMailetConfig dane = DeliverySessions.daneView(config("startTLS", "false", "mail.smtp.ssl.trust", "*"));
        assertThat(dane.getInitParameter("mail.smtp.starttls.required")).isEqualTo("true");
        assertThat(dane.getInitParameter("mail.smtp.ssl.checkserveridentity")).isEqualTo("false");
        assertThat(dane.getInitParameter("mail.smtp.ssl.trust")).isNull();
        assertThat(dane.getInitParameter("mail.smtp.ssl.socketFactory.class"))
                .isEqualTo(ObservingSslSocketFactory.class.getName());
    }

    @Test
    void theDaneDeciderAppliesTheSwitchOverridesGatewayAndTheSelfCheck() throws Exception {
        DaneService notActivated = new DaneService(dev.jamesmtasts.dane.DaneSettings.defaults(), java.util.List.of());
        MtaStsMailetSettings s = MtaStsMailetSettings.parse(config("daneOverrides", "off.example=off; must.example=require"));
        DaneDecider decider = DaneDecider.of(s, false, notActivated);
        assertThat(decider.used()).isTrue();
        assertThat(decider.decide("off.example").detail()).isEqualTo("override off.example=off");
        dev.jamesmtasts.dane.DaneDomain other = decider.decide("other.example");
        assertThat(other.status()).isEqualTo(dev.jamesmtasts.dane.DaneDomain.Status.OFF);
        assertThat(other.defer()).isFalse();
        assertThat(other.detail()).contains("DNSSEC validation not available");
        // required while validation does not work: deferred, never sent without DANE
        assertThat(decider.decide("Must.Example").defer()).isTrue();
        DaneDecider gateway = DaneDecider.of(s, true, notActivated);
        assertThat(gateway.used()).isFalse();
        assertThat(gateway.decide("must.example").defer()).isFalse();
    }
}
