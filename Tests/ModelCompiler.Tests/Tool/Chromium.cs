using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace ModelCompiler.Tests.Tool;

/// <summary>
/// Renders an HTML file in headless Chromium (Debian's chromium package) as a person would see it: every console
/// message it logs (the report has no scripts, so any message at all is a failure), the table rows of the DOM after
/// parsing, and whether a screenshot shows anything. Skips with the reason where Chromium is absent, except under
/// CI=true, where .ci/run installs it and its absence fails the test.
/// </summary>
internal static class Chromium
{
    public sealed record Result(IReadOnlyList<string> ConsoleErrors, int LayerRows, bool NonBlank, string Dom);

    public static string Executable()
    {
        var path = new[] { Environment.GetEnvironmentVariable("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));
        if (path is not null) return path;
        const string why = "headless Chromium (Debian's chromium package: apt-get install chromium) is not installed";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(why + "; .ci/run installs it, so under CI this is a failure");
        Assert.Skip(why);
        return "";
    }

    public static Result Render(string html, string screenshot)
    {
        string exe = Executable();
        string profile = Path.Combine(Path.GetTempPath(), "modelc-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            string url = new Uri(Path.GetFullPath(html)).AbsoluteUri;
            var (dom, log1) = Start(exe, profile + "-dom", "--dump-dom " + url);
            var (_, log2) = Start(exe, profile + "-png", $"--window-size=1280,1600 --screenshot={screenshot} {url}");
            var console = (log1 + "\n" + log2).Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal) || l.Contains("Failed to load resource", StringComparison.Ordinal)).ToList();
            int rows = dom.Split("<tr class=\"layer ").Length - 1;
            return new Result(console, rows, File.Exists(screenshot) && NonBlank(screenshot), dom);
        }
        finally
        {
            foreach (var dir in new[] { profile + "-dom", profile + "-png" })
                try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static (string Out, string Err) Start(string exe, string profile, string args)
    {
        // The flags this machine's closed network needs (see the environment notes): no background connections.
        var psi = new ProcessStartInfo(exe, $"--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir={profile} --enable-logging=stderr --v=0 {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("Chromium did not finish within 120 s");
        }
        return (stdout.Result, stderr.Result);
    }

    /// <summary>More than 1% of the pixels differ from the top-left one (a blank page is one colour).</summary>
    private static bool NonBlank(string png)
    {
        using var stream = File.OpenRead(png);
        var image = StbImageSharp.ImageResult.FromStream(stream, StbImageSharp.ColorComponents.RedGreenBlue);
        var d = image.Data;
        int differing = 0, pixels = image.Width * image.Height;
        for (int i = 0; i < pixels; i++)
            if (Math.Abs(d[i * 3] - d[0]) + Math.Abs(d[i * 3 + 1] - d[1]) + Math.Abs(d[i * 3 + 2] - d[2]) > 30) differing++;
        return differing > pixels / 100;
    }
}

/// <summary>The Chromium check itself must catch what it looks for (a planted console error, a blank page).</summary>
public sealed class ChromiumCheckTests
{
    [Fact]
    public void Planted_console_error_and_blank_page_are_caught()
    {
        using var dir = new ToolHarness.TempFolder();
        string bad = dir.Write("bad.html", System.Text.Encoding.UTF8.GetBytes("<html><body><script>console.error('planted');</script></body></html>"));
        var r = Chromium.Render(bad, dir.File("bad.png"));
        Assert.Contains(r.ConsoleErrors, l => l.Contains("planted", StringComparison.Ordinal));
        Assert.False(r.NonBlank);
        Assert.Equal(0, r.LayerRows);
    }
}
