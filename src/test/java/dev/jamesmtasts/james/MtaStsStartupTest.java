package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.management.ManagementFactory;

import javax.management.ObjectName;

import org.apache.commons.lang3.exception.ExceptionUtils;
import org.junit.jupiter.api.Test;

/** James refuses to start on a wrong MTA-STS setting, naming it; a clean start/stop registers and unregisters the MBean. */
class MtaStsStartupTest {
    @Test
    void aWrongMailetParameterFailsJamesStartNamingTheParameter() {
        Throwable t = catchThrowable(() -> new JamesHarness("<mtaStsMode>sometimes</mtaStsMode>").close());
        assertThat(t).isNotNull();
        assertThat(ExceptionUtils.getThrowableList(t)).anyMatch(e -> String.valueOf(e.getMessage()).contains("mtaStsMode"));
    }

    @Test
    void aWrongPropertyFailsJamesStartNamingTheKey() {
        Throwable t = catchThrowable(() -> new JamesHarness("", "refresher.interval=often\n").close());
        assertThat(t).isNotNull();
        assertThat(ExceptionUtils.getThrowableList(t))
                .anyMatch(e -> String.valueOf(e.getMessage()).contains("refresher.interval"));
    }

    /**
     * The value the settings builder rejects (a near cache of 0 entries) stops James at start with the
     * property key the admin typed, not the builder's name: the same reader and message
     * {@link MtaStsKeysTest} checks for every key.
     */
    @Test
    void aValueOutOfRangeFailsJamesStartNamingTheKeyTheValueAndTheFix() {
        Throwable t = catchThrowable(() -> new JamesHarness("", "cache.nearCacheSize=0\n").close());
        assertThat(t).isNotNull();
        assertThat(ExceptionUtils.getThrowableList(t)).anyMatch(e -> String.valueOf(e.getMessage()).contains(
                "mta-sts.properties: cache.nearCacheSize=0: must be at least 1. Fix: set cache.nearCacheSize to an "
                + "integer, at least 1, or delete the line for the default (10000)"));
    }

    @Test
    void startAndStopRegisterAndUnregisterTheMBeanAndDriveTheBackend() throws Exception {
        InMemoryPolicies backend = InMemoryPolicies.reset();
        ObjectName name = new ObjectName(MtaStsMBean.OBJECT_NAME);
        try (JamesHarness james = new JamesHarness("")) {
            assertThat(backend.started).isTrue();
            assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name)).isTrue();
        }
        assertThat(backend.stopped).isTrue();
        assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name)).isFalse();
    }
}
