package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

import dev.jamesmtasts.mtasts.SettingException;

class CacheSettingsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        CacheSettings s = CacheSettings.defaults();
        assertThat(s.keyspace()).isEqualTo("mta_sts");
        assertThat(s.replication()).isEqualTo("{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assertThat(s.nearCacheSize()).isEqualTo(10_000);
        assertThat(s.nearCacheTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.idCheckInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.lastUseWriteInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(s.backoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.refreshInterval()).isEqualTo(Duration.ofHours(24));
        assertThat(s.staleAfter()).isEqualTo(Duration.ofHours(12));
        assertThat(s.deleteUnusedAfter()).isEqualTo(Duration.ofDays(180));
        assertThat(s.refreshConcurrency()).isEqualTo(4);
        assertThat(s.refreshWindow()).isEqualTo(Duration.ofHours(1));
        assertThat(s.leaseTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.readConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(s.writeConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
        assertThat(s.serialConsistency()).isEqualTo(DefaultConsistencyLevel.LOCAL_SERIAL);
        assertThat(s.toBuilder().build().toString()).isEqualTo(s.toString());
    }

    @Test
    void badValuesAreRejectedWithAClearMessage() {
        assertThatThrownBy(() -> CacheSettings.builder().keyspace("x; DROP")).hasMessageContaining("keyspace");
        assertThatThrownBy(() -> CacheSettings.builder().replication("{'class': 'X'}; DROP")).hasMessageContaining("replication");
        assertThatThrownBy(() -> CacheSettings.builder().backoff(Duration.ZERO)).hasMessageContaining("backoff");
        assertThatThrownBy(() -> CacheSettings.builder().idCheckInterval(Duration.ofSeconds(-1))).hasMessageContaining("idCheckInterval");
        assertThatThrownBy(() -> CacheSettings.builder().leaseTtl(Duration.ofMillis(500))).hasMessageContaining("leaseTtl");
        assertThatThrownBy(() -> CacheSettings.builder().nearCacheSize(0)).hasMessageContaining("nearCacheSize");
        assertThat(CacheSettings.builder().idCheckInterval(Duration.ZERO).build().idCheckInterval()).isZero();
        assertThat(CacheSettings.builder().keyspace("MyKs").build().keyspace()).isEqualTo("myks");
    }

    @Test
    void everyRejectionIsASettingExceptionNamingTheSettingAndTheRangeConstant() {
        assertThatThrownBy(() -> CacheSettings.builder().nearCacheSize(0)).isInstanceOf(SettingException.class)
                .hasMessage("nearCacheSize must be " + CacheSettings.NEAR_CACHE_SIZE.describe());
        assertThatThrownBy(() -> CacheSettings.builder().refreshConcurrency(CacheSettings.REFRESH_CONCURRENCY.max() + 1))
                .isInstanceOf(SettingException.class).hasMessage("refreshConcurrency must be from 1 to 1024");
        assertThatThrownBy(() -> CacheSettings.builder().staleAfter(Duration.ZERO)).isInstanceOf(SettingException.class)
                .hasMessage("staleAfter must be greater than 0");
        assertThatThrownBy(() -> CacheSettings.builder().keyspace("1x")).isInstanceOf(SettingException.class)
                .hasMessage("keyspace must be " + CacheSettings.KEYSPACE_RULE);
        assertThatThrownBy(() -> CacheSettings.Builder.simpleStrategy(0)).isInstanceOf(SettingException.class);
        assertThat(CacheSettings.builder().nearCacheSize(CacheSettings.NEAR_CACHE_SIZE.min()).build().nearCacheSize()).isEqualTo(1);
        assertThat(CacheSettings.builder().refreshWindow(Duration.ZERO).build().refreshWindow()).isZero();
    }

    @Test
    void consistencyLevelsAreCheckedAgainstTheirSets() {
        // reads: no EACH_QUORUM (Cassandra refuses it), no ANY, no serial level
        assertThatThrownBy(() -> CacheSettings.builder().readConsistency(DefaultConsistencyLevel.EACH_QUORUM))
                .isInstanceOf(SettingException.class)
                .hasMessage("readConsistency must be one of " + CacheSettings.READ_CONSISTENCY);
        assertThatThrownBy(() -> CacheSettings.builder().readConsistency(DefaultConsistencyLevel.SERIAL))
                .isInstanceOf(SettingException.class);
        assertThatThrownBy(() -> CacheSettings.builder().writeConsistency(DefaultConsistencyLevel.ANY))
                .isInstanceOf(SettingException.class).hasMessageStartingWith("writeConsistency must be one of");
        assertThatThrownBy(() -> CacheSettings.builder().serialConsistency(DefaultConsistencyLevel.QUORUM))
                .isInstanceOf(SettingException.class).hasMessageStartingWith("serialConsistency must be one of");
        assertThatThrownBy(() -> CacheSettings.builder().readConsistency(null)).isInstanceOf(SettingException.class);
        CacheSettings s = CacheSettings.builder().readConsistency(DefaultConsistencyLevel.ONE)
                .writeConsistency(DefaultConsistencyLevel.EACH_QUORUM)
                .serialConsistency(DefaultConsistencyLevel.SERIAL).build();
        assertThat(s.readConsistency()).isEqualTo(DefaultConsistencyLevel.ONE);
        assertThat(s.writeConsistency()).isEqualTo(DefaultConsistencyLevel.EACH_QUORUM);
        assertThat(s.serialConsistency()).isEqualTo(DefaultConsistencyLevel.SERIAL);
        assertThat(s.toBuilder().build().toString()).isEqualTo(s.toString());
    }
}
