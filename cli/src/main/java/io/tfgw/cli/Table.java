package io.tfgw.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A left-aligned text table with a header row. */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  Table(List<String> header) {
    this.header = header;
  }

  void add(List<String> row) {
    rows.add(row);
  }

  void print(PrintWriter out) {
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = header.get(c).length();
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    printRow(out, header, width);
    for (List<String> r : rows) {
      printRow(out, r, width);
    }
  }

  private static void printRow(PrintWriter out, List<String> row, int[] width) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < row.size(); c++) {
      String cell = row.get(c);
      b.append(cell);
      if (c < row.size() - 1) {
        b.append(" ".repeat(width[c] - cell.length() + 2));
      }
    }
    out.println(b.toString().stripTrailing());
  }
}
