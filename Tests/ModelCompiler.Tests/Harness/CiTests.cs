using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using ModelCompiler.Tests.Infrastructure;
using ModelCompiler.Tests.NodeTests;
using Xunit;
using Xunit.Sdk;

namespace ModelCompiler.Tests.Harness;

/// <summary>
/// CI must not pass having checked little: .ci/run fails under CI=true when ../shared is missing, a test that needs a
/// shared file fails (not skips) under CI, and approved files (snapshots, the node-test manifest) are never rewritten
/// under CI.
/// </summary>
public sealed class CiTests
{
    private static Func<string, string?> Environment(params (string Key, string Value)[] values)
    {
        var d = new Dictionary<string, string>();
        foreach (var (k, v) in values) d[k] = v;
        return k => d.TryGetValue(k, out var v) ? v : null;
    }

    [Theory]
    [InlineData(Approvals.AcceptVariable)]
    [InlineData(NodeTestManifest.RegenerateVariable)]
    public void Rewriting_approved_files_is_refused_under_CI(string variable)
    {
        Assert.Throws<InvalidOperationException>(() => Ci.UpdateRequested(variable, Environment((variable, "1"), ("CI", "true"))));
        Assert.Throws<InvalidOperationException>(() => Ci.UpdateRequested(variable, Environment((variable, "1"), ("CI", "1"))));
        Assert.True(Ci.UpdateRequested(variable, Environment((variable, "1"))));
        Assert.False(Ci.UpdateRequested(variable, Environment(("CI", "true"))));
    }

    [Fact]
    public void A_snapshot_is_not_accepted_under_CI_even_where_it_differs()
    {
        const string name = "ci-refusal-probe";
        string verified = Path.Combine(Approvals.Directory, name + ".verified.cs");
        Assert.Throws<InvalidOperationException>(() =>
            Approvals.Verify(name, "// differs", Environment((Approvals.AcceptVariable, "1"), ("CI", "true"))));
        Assert.False(File.Exists(verified), "the refused acceptance wrote a snapshot");
        Assert.False(File.Exists(Path.Combine(Approvals.Directory, name + ".received.cs")));
    }

    [Fact]
    public void Missing_shared_material_skips_locally_and_fails_under_CI()
    {
        // Caught by hand, not with Assert.Throws: a skip escaping from there would report this test skipped, not failed.
        static Exception? Outcome(bool underCi)
        {
            try { Repo.Missing("models/x.onnx", "/nowhere/models/x.onnx", underCi); }
            catch (Exception e) { return e; }
            return null;
        }
        var ci = Outcome(underCi: true);
        Assert.True(ci is FailException && ci.Message.Contains("Under CI the shared material is required", StringComparison.Ordinal),
            $"under CI: expected a failure, got {ci?.GetType().FullName ?? "nothing"}");
        var local = Outcome(underCi: false);
        Assert.True(local is not null && local is not FailException && local.Message.Contains("Needs the shared test material", StringComparison.Ordinal),
            $"expected a skip, got {local?.GetType().FullName}: {local?.Message}");
    }

    /// <summary>.ci/run copied into an empty tree, with a stand-in dotnet, package smoke test and NativeAOT smoke test that only say they ran.</summary>
    private static (int ExitCode, string Output) RunCiScript(bool withShared, params (string Key, string Value)[] environment)
    {
        if (OperatingSystem.IsWindows()) Assert.Skip(".ci/run is a bash script");
        string root = Path.Combine(Path.GetTempPath(), "mc-ci-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "repo", ".ci"));
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.Copy(Path.Combine(Repo.Root, ".ci", "run"), Path.Combine(root, "repo", ".ci", "run"));
            WriteScript(Path.Combine(root, "repo", ".ci", "package-smoke.sh"), "echo 'stand-in package smoke test'");
            WriteScript(Path.Combine(root, "repo", ".ci", "aot-smoke.sh"), "echo 'stand-in NativeAOT smoke test'");
            WriteScript(Path.Combine(root, "bin", "dotnet"), "echo \"stand-in dotnet $*\"");
            if (withShared)
            {
                Directory.CreateDirectory(Path.Combine(root, "shared", "onnx-tests", "node"));
                Directory.CreateDirectory(Path.Combine(root, "shared", "models"));
            }
            var start = new ProcessStartInfo("bash", new[] { Path.Combine(root, "repo", ".ci", "run") })
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["PATH"] = Path.Combine(root, "bin") + ":" + System.Environment.GetEnvironmentVariable("PATH");
            foreach (string v in new[] { "CI", "MODELCOMPILER_SHARED", Approvals.AcceptVariable, NodeTestManifest.RegenerateVariable }) start.Environment.Remove(v);
            foreach (var (k, v) in environment) start.Environment[k] = v;
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            string stdout = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), ".ci/run did not finish");
            return (process.ExitCode, stdout + stderr.Result);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void CI_run_fails_under_CI_when_the_shared_material_is_missing()
    {
        var (code, output) = RunCiScript(withShared: false, ("CI", "true"));
        Assert.NotEqual(0, code);
        Assert.Contains("shared test material is missing", output);
        Assert.DoesNotContain("stand-in dotnet test", output);
    }

    [Fact]
    public void CI_run_goes_on_without_shared_material_outside_CI_and_with_it_under_CI()
    {
        var (local, localOutput) = RunCiScript(withShared: false);
        Assert.True(local == 0, localOutput);
        Assert.Contains("stand-in dotnet test ModelCompiler.sln -c Release", localOutput);
        var (ci, ciOutput) = RunCiScript(withShared: true, ("CI", "true"));
        Assert.True(ci == 0, ciOutput);
        Assert.Contains("stand-in package smoke test", ciOutput);
        Assert.Contains("stand-in NativeAOT smoke test", ciOutput);
    }

    [Theory]
    [InlineData(Approvals.AcceptVariable)]
    [InlineData(NodeTestManifest.RegenerateVariable)]
    public void CI_run_refuses_to_rewrite_approved_files(string variable)
    {
        var (code, output) = RunCiScript(withShared: true, ("CI", "true"), (variable, "1"));
        Assert.NotEqual(0, code);
        Assert.Contains(variable, output);
        Assert.DoesNotContain("stand-in dotnet test", output);
    }
}
