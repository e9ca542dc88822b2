using System;
using System.IO;
using System.Linq;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// Snapshot ("approved file") checks. The approved text lives in the repository under
/// Tests/ModelCompiler.Tests/Snapshots/&lt;name&gt;.verified.cs. A mismatch writes &lt;name&gt;.received.cs beside
/// it and fails with a diff; set MODELCOMPILER_ACCEPT_SNAPSHOTS=1 to accept received output instead (never under CI).
/// </summary>
public static class Approvals
{
    /// <summary>Set to 1 to accept received output as approved (refused under CI, see <see cref="Ci.UpdateRequested(string)"/>).</summary>
    public const string AcceptVariable = "MODELCOMPILER_ACCEPT_SNAPSHOTS";

    public static string Directory => Path.Combine(Repo.Root, "Tests", "ModelCompiler.Tests", "Snapshots");

    public static void Verify(string name, string actual) => Verify(name, actual, Environment.GetEnvironmentVariable);

    /// <summary><see cref="Verify(string, string)"/> reading the environment through <paramref name="environment"/>.</summary>
    internal static void Verify(string name, string actual, Func<string, string?> environment)
    {
        // Asked first, so that CI with the variable set fails even where every snapshot matches.
        bool accept = Ci.UpdateRequested(AcceptVariable, environment);
        string verified = Path.Combine(Directory, name + ".verified.cs");
        string received = Path.Combine(Directory, name + ".received.cs");
        actual = actual.Replace("\r\n", "\n");
        string? expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (accept)
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(verified, actual);
            return;
        }
        File.WriteAllText(received, actual);
        if (expected is null)
            Assert.Fail($"No approved snapshot for '{name}'. Review {received} and rename it to {Path.GetFileName(verified)} (or run with MODELCOMPILER_ACCEPT_SNAPSHOTS=1).");
        var diff = InlineDiffBuilder.Diff(expected, actual);
        var lines = diff.Lines.Select((l, i) => (l, i)).Where(x => x.l.Type != ChangeType.Unchanged).Take(40)
            .Select(x => $"{(x.l.Type == ChangeType.Inserted ? "+" : "-")} {x.l.Position}: {x.l.Text}");
        Assert.Fail($"Snapshot '{name}' differs from {verified} (received output written to {received}):\n{string.Join("\n", lines)}");
    }
}
