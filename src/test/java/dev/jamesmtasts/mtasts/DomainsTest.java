package dev.jamesmtasts.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DomainsTest {
    @Test
    void normalizesCaseTrailingDotAndUnicode() {
        assertThat(Domains.normalize("Example.COM.")).isEqualTo("example.com");
        assertThat(Domains.normalize("b\u00fccher.example")).isEqualTo("xn--bcher-kva.example");
    }

    @Test
    void rejectsWhatCannotBeAHostName() {
        assertThatThrownBy(() -> Domains.normalize("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.normalize(".")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.normalize("a..b")).isInstanceOf(IllegalArgumentException.class);
        // Issue 9: "a_b.example" is a DNS name (RFC 2181 §11) and is accepted now (UnderscoreDomainTest);
        // characters DNS host names never hold are still refused.
        assertThatThrownBy(() -> Domains.normalize("a!b.example")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.normalize(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Domains.normalize("x".repeat(64) + ".example"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ldhCheck() {
        assertThat(Domains.isLdhDomain("a-b.example")).isTrue();
        assertThat(Domains.isLdhDomain("a-.example")).isFalse();
        assertThat(Domains.isLdhDomain("x".repeat(63) + ".example")).isTrue();
        assertThat(Domains.isLdhDomain("example.")).isFalse();
    }
}
