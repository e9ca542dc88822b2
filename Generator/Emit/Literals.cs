using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelCompiler.Emit;

/// <summary>C# literals, always in the invariant culture and always round-tripping exactly.</summary>
internal static class Literals
{
    public static string Float(float f)
    {
        if (float.IsNaN(f)) return "float.NaN";
        if (float.IsPositiveInfinity(f)) return "float.PositiveInfinity";
        if (float.IsNegativeInfinity(f)) return "float.NegativeInfinity";
        if (f == 0 && float.IsNegativeInfinity(1 / f)) return "-0f";
        // The shortest of G6..G9 that parses back to the same bits: deterministic on every runtime
        // (unlike "R", whose output differs between .NET Framework and .NET).
        for (int digits = 6; digits <= 9; digits++)
        {
            string s = f.ToString("G" + digits, CultureInfo.InvariantCulture);
            if (float.Parse(s, CultureInfo.InvariantCulture) == f) return s + "f";
        }
        return f.ToString("G9", CultureInfo.InvariantCulture) + "f";
    }

    public static string Double(double d)
    {
        if (double.IsNaN(d)) return "double.NaN";
        if (double.IsPositiveInfinity(d)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(d)) return "double.NegativeInfinity";
        for (int digits = 15; digits <= 17; digits++)
        {
            string s = d.ToString("G" + digits, CultureInfo.InvariantCulture);
            if (double.Parse(s, CultureInfo.InvariantCulture) == d) return s.Contains(".") || s.Contains("E") ? s : s + ".0";
        }
        return d.ToString("G17", CultureInfo.InvariantCulture);
    }

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Long(long v) => v == long.MinValue ? "long.MinValue" : v.ToString(CultureInfo.InvariantCulture) + "L";

    /// <summary>An int array usable where a ReadOnlySpan&lt;int&gt; is expected; the compiler stores it as static data, no allocation.</summary>
    public static string IntSpan(IEnumerable<int> values) => "new int[] { " + string.Join(", ", values.Select(v => Int(v))) + " }";

    public static string FloatSpan(IEnumerable<float> values) => "new float[] { " + string.Join(", ", values.Select(Float)) + " }";

    /// <summary>A C# string literal with quotes and escapes.</summary>
    public static string String(string s)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 32 || c > 126) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Text safe inside a // comment: no line breaks (a model's names could otherwise end the comment).</summary>
    public static string Comment(string s) =>
        new string(s.Select(c => c < 32 || c == 0x85 || c == 0x2028 || c == 0x2029 ? ' ' : c).ToArray());

    public static string Xml(string s) =>
        new string(s.Select(c => c < 32 ? ' ' : c).ToArray()).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
    };

    public static string Count(long n) => n switch
    {
        < 1000 => n.ToString(CultureInfo.InvariantCulture),
        < 1000_000 => (n / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " K",
        < 1000_000_000 => (n / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " M",
        _ => (n / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " G",
    };
}
