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
}
