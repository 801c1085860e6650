package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The documented defaults and the builder's validation. */
class MtaStsSettingsTest {

    @Test
    void unresolvedResolverAddressesFromConfigurationAreResolvedOnce() {
        MtaStsSettings s = MtaStsSettings.builder()
                .addResolver(java.net.InetSocketAddress.createUnresolved("127.0.0.1", 5353)).build();
        assertThat(s.resolvers()).hasSize(1);
        assertThat(s.resolvers().get(0).isUnresolved()).isFalse();
        assertThat(s.resolvers().get(0).getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(s.resolvers().get(0).getPort()).isEqualTo(5353);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        MtaStsSettings s = MtaStsSettings.defaults();
        assertThat(s.resolvers()).isEmpty();
        assertThat(s.dnsTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.fetchTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.maxPolicyBytes()).isEqualTo(65536);
        assertThat(s.policyPort()).isEqualTo(443);
        assertThat(s.allowPrivateAddresses()).isFalse();
        assertThat(s.trustStoreFile()).isNull();
        assertThat(s.sslContext()).isNull();
        assertThat(s.contentTypePolicy()).isEqualTo(MtaStsSettings.ContentTypePolicy.STRICT);
    }

    @Test
    void builderRejectsNonsense() {
        assertThatThrownBy(() -> MtaStsSettings.builder().fetchTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MtaStsSettings.builder().dnsTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MtaStsSettings.builder().maxPolicyBytes(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MtaStsSettings.builder().policyPort(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MtaStsSettings.builder().policyPort(65536)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toBuilderKeepsEverythingAndTheCopyIsIndependent() {
        MtaStsSettings a = MtaStsSettings.builder()
                .addResolver(new InetSocketAddress("127.0.0.1", 5353))
                .trustStore(Path.of("ca.pem"), "pw".toCharArray())
                .policyPort(8443)
                .build();
        MtaStsSettings b = a.toBuilder().addResolver(new InetSocketAddress("127.0.0.2", 53)).build();
        assertThat(a.resolvers()).hasSize(1);
        assertThat(b.resolvers()).hasSize(2);
        assertThat(b.trustStoreFile()).isEqualTo(Path.of("ca.pem"));
        assertThat(b.trustStorePassword()).containsExactly('p', 'w');
        assertThat(b.policyPort()).isEqualTo(8443);
    }

    @Test
    void unreadableTrustStoreIsAConfigurationError() {
        MtaStsSettings s = MtaStsSettings.builder().trustStore(Path.of("/nonexistent/ca.p12"), null).build();
        assertThatThrownBy(() -> new MtaStsResolver(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/nonexistent/ca.p12");
    }

    @Test
    void rejectionsNameTheSettingAndTheRangeTheConfigurationDocuments() {
        assertThatThrownBy(() -> MtaStsSettings.builder().maxPolicyBytes(MtaStsSettings.MAX_POLICY_BYTES.max() + 1))
                .isInstanceOf(SettingException.class).hasMessage("maxPolicyBytes must be from 1 to 16777216");
        assertThatThrownBy(() -> MtaStsSettings.builder().policyPort(0)).isInstanceOf(SettingException.class)
                .hasMessage("policyPort must be " + MtaStsSettings.POLICY_PORT.describe());
        assertThatThrownBy(() -> MtaStsSettings.builder().dnsTimeout(Duration.ZERO)).isInstanceOf(SettingException.class)
                .hasMessage("dnsTimeout must be greater than 0");
        assertThat(MtaStsSettings.builder().maxPolicyBytes(MtaStsSettings.MAX_POLICY_BYTES.max()).build().maxPolicyBytes())
                .isEqualTo(16 * 1024 * 1024);
    }
}
