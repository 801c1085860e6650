package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TlsVersionsTest {
    @Test
    void tls12AndNewerOnly() {
        assertThat(TlsVersions.isAllowed("TLSv1.3")).isTrue();
        assertThat(TlsVersions.isAllowed("TLSv1.2")).isTrue();
        assertThat(TlsVersions.isAllowed("TLSv1.1")).isFalse();
        assertThat(TlsVersions.isAllowed("TLSv1")).isFalse();
        assertThat(TlsVersions.isAllowed(null)).isFalse();
        assertThat(TlsVersions.allowed()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(TlsVersions.JAVAMAIL_LIST).isEqualTo("TLSv1.3 TLSv1.2");
    }
}
