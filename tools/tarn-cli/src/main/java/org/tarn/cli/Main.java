package org.tarn.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;

/** The {@code tarnctl} entry point: {@code java -jar tarn-cli-VERSION-all.jar COMMAND ...}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // the engine classes used by 'label' log through slf4j-simple: warnings only, on stderr
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
        System.exit(TarnCtl.run(args, out, err, null));
    }
}
