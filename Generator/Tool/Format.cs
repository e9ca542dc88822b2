using System;
using System.Globalization;

namespace ModelCompiler.Tool;

/// <summary>Numbers as modelc prints them (invariant culture: output is the same on every machine).</summary>
internal static class Format
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string Bytes(long bytes) =>
        bytes >= 1 << 20 ? (bytes / 1048576.0).ToString("0.0", s_c) + " MB"
        : bytes >= 1 << 10 ? (bytes / 1024.0).ToString("0.0", s_c) + " KB"
        : bytes.ToString(s_c) + " B";

    /// <summary>1234567 -> "1.23 M".</summary>
    public static string Count(long n) =>
        n >= 1_000_000_000 ? (n / 1e9).ToString("0.00", s_c) + " G"
        : n >= 1_000_000 ? (n / 1e6).ToString("0.00", s_c) + " M"
        : n >= 10_000 ? (n / 1e3).ToString("0.0", s_c) + " K"
        : n.ToString(s_c);

    public static string Percent(double fraction) => double.IsNaN(fraction) ? "NaN" : (fraction * 100).ToString("0.00", s_c) + "%";

    public static string Number(double v, string format = "G4") => v.ToString(format, s_c);

    public static string Micros(double seconds) => (seconds * 1e6).ToString(seconds * 1e6 >= 100 ? "0" : "0.0", s_c) + " us";

    public static string Ratio(double r) => r.ToString("0.00", s_c) + "x";

    public static string Signed(long delta) => (delta >= 0 ? "+" : "") + delta.ToString(s_c);

    public static string Change(double before, double after) =>
        before == 0 ? "" : (after / before).ToString(after / before < 0.1 ? "0.0###" : "0.00", s_c) + "x";

    public static string OrDash(long? v, Func<long, string> f) => v is { } x ? f(x) : "-";
}
