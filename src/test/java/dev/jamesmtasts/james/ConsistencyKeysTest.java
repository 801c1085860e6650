package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

/** The cassandra.*Consistency keys: defaults, words accepted (any case), levels refused under the key. */
class ConsistencyKeysTest {
    @Test
    void defaultsAreLocalQuorumAndLocalSerial() {
        MtaStsConfiguration c = MtaStsConfiguration.defaults();
        assertThat(c.cacheSettings().readConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(c.cacheSettings().writeConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(c.cacheSettings().serialConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_SERIAL);
        assertThat(MtaStsConfiguration.DEFAULTS).containsEntry("cassandra.readConsistency", "local_quorum")
                .containsEntry("cassandra.writeConsistency", "local_quorum")
                .containsEntry("cassandra.serialConsistency", "local_serial");
    }

    @Test
    void levelsAreReadInAnyCase() {
        MtaStsConfiguration c = MtaStsConfiguration.from(Map.of("cassandra.readConsistency", "ONE",
                "cassandra.writeConsistency", "Each_Quorum", "cassandra.serialConsistency", "serial"));
        assertThat(c.cacheSettings().readConsistency()).isEqualTo(DefaultConsistencyLevel.ONE);
        assertThat(c.cacheSettings().writeConsistency()).isEqualTo(DefaultConsistencyLevel.EACH_QUORUM);
        assertThat(c.cacheSettings().serialConsistency()).isEqualTo(DefaultConsistencyLevel.SERIAL);
    }

    @Test
    void levelsOutsideTheKeysSetAreRefusedUnderTheKey() {
        // Cassandra refuses EACH_QUORUM for reads; ANY is no level to read a policy back at
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.readConsistency", "each_quorum")))
                .hasMessageContaining("cassandra.readConsistency").hasMessageContaining("local_quorum");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.writeConsistency", "any")))
                .hasMessageContaining("cassandra.writeConsistency");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.serialConsistency", "quorum")))
                .hasMessageContaining("cassandra.serialConsistency").hasMessageContaining("serial|local_serial");
    }
}
