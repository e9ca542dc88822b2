using System;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>
/// What the tests do differently under CI (CI=true, as GitHub Actions, GitLab and .ci/run's callers set it): missing
/// shared material fails instead of skipping, and approved files (snapshots, the node-test manifest) are never
/// rewritten.
/// </summary>
public static class Ci
{
    public static bool IsCi => IsCiValue(Environment.GetEnvironmentVariable("CI"));

    internal static bool IsCiValue(string? value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";

    /// <summary>
    /// Whether <paramref name="variable"/>=1 asks for approved files to be rewritten. Under CI that is refused with an
    /// exception: CI checks the committed files and must never approve its own output.
    /// </summary>
    public static bool UpdateRequested(string variable) => UpdateRequested(variable, Environment.GetEnvironmentVariable);

    /// <summary><see cref="UpdateRequested(string)"/> over a given environment (tests call it with their own).</summary>
    public static bool UpdateRequested(string variable, Func<string, string?> environment)
    {
        if (environment(variable) != "1") return false;
        if (IsCiValue(environment("CI")))
            throw new InvalidOperationException(
                $"{variable}=1 is refused under CI (CI={environment("CI")}): CI checks the committed files; regenerate them on a development machine, review the diff and commit it.");
        return true;
    }
}
