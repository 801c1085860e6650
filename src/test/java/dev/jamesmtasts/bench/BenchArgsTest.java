package dev.jamesmtasts.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link BenchArgs}: the {@code key=value} syntax bin/bench documents, and plain values in key order. */
class BenchArgsTest {
    @Test
    void keyValueInAnyOrder() {
        BenchArgs a = BenchArgs.parse(new String[] {"gets=20000", "policies=100000"}, "policies", "gets");
        assertThat(a.intValue("policies", 1)).isEqualTo(100_000);
        assertThat(a.intValue("gets", 1)).isEqualTo(20_000);
    }

    @Test
    void plainValuesInKeyOrderAndDefaults() {
        BenchArgs a = BenchArgs.parse(new String[] {"5000"}, "policies", "gets");
        assertThat(a.intValue("policies", 1)).isEqualTo(5000);
        assertThat(a.intValue("gets", 7)).isEqualTo(7);
    }

    @Test
    void unknownKeysAndBadNumbersAreNamed() {
        assertThatThrownBy(() -> BenchArgs.parse(new String[] {"polices=1"}, "policies", "gets"))
                .hasMessageContaining("polices=1").hasMessageContaining("policies, gets");
        assertThatThrownBy(() -> BenchArgs.parse(new String[] {"policies=lots"}, "policies").intValue("policies", 1))
                .hasMessageContaining("policies=lots");
        assertThatThrownBy(() -> BenchArgs.parse(new String[] {"1", "2"}, "policies"))
                .hasMessageContaining("too many");
    }
}
