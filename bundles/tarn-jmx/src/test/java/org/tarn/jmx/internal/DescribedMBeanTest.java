package org.tarn.jmx.internal;

import static org.assertj.core.api.Assertions.assertThat;

import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;

import org.junit.jupiter.api.Test;
import org.tarn.jmx.Description;
import org.tarn.jmx.MetadataCheck;
import org.tarn.jmx.Operation;
import org.tarn.jmx.Parameter;

/** The metadata check really catches what is not annotated. */
class DescribedMBeanTest {

    public interface BareMBean {
        String getThing();

        void doIt(String what);
    }

    public static class Bare implements BareMBean {
        @Override
        public String getThing() {
            return "x";
        }

        @Override
        public void doIt(String what) {
        }
    }

    @Description("A described bean")
    public interface DescribedThingMBean {
        @Description("The thing")
        String getThing();

        @Operation(desc = "Does it", impact = MBeanOperationInfo.ACTION)
        void doIt(@Parameter(name = "what", desc = "What to do") String what);

        @Operation(desc = "Does it twice", impact = MBeanOperationInfo.ACTION)
        void doIt(@Parameter(name = "what", desc = "What to do") String what,
                  @Parameter(name = "times", desc = "How often") long times);
    }

    public static class DescribedThing implements DescribedThingMBean {
        @Override
        public String getThing() {
            return "x";
        }

        @Override
        public void doIt(String what) {
        }

        @Override
        public void doIt(String what, long times) {
        }
    }

    @Test
    void unannotated_interface_fails_the_check_neg() {
        MBeanInfo info = new DescribedMBean(new Bare(), BareMBean.class).getMBeanInfo();
        assertThat(MetadataCheck.problems(info)).contains(
                "MBean " + Bare.class.getName() + " has no description",
                "attribute Thing has no description",
                "operation doIt has no description",
                "operation doIt has no impact (3)",
                "operation doIt has a parameter without a real name: p1",
                "operation doIt parameter p1 has no description");
    }

    @Test
    void annotated_interface_passes_the_check_including_overloads_pos() {
        MBeanInfo info = new DescribedMBean(new DescribedThing(), DescribedThingMBean.class).getMBeanInfo();
        assertThat(MetadataCheck.problems(info)).isEmpty();
        assertThat(info.getOperations()).extracting(MBeanOperationInfo::getDescription)
                .containsExactlyInAnyOrder("Does it", "Does it twice");
    }
}
