using System;
using System.IO;
using Xunit;

namespace ModelCompiler.Tests.Infrastructure;

/// <summary>Paths to the repository and to the shared test material beside it (../shared).</summary>
public static class Repo
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ModelCompiler.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find ModelCompiler.sln above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    /// <summary>../shared, or the directory named by MODELCOMPILER_SHARED.</summary>
    public static string SharedRoot =>
        Environment.GetEnvironmentVariable("MODELCOMPILER_SHARED") is { Length: > 0 } env ? env : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static bool HasShared => Directory.Exists(SharedRoot);

    /// <summary>
    /// A path under ../shared; skips the calling test (with the reason) when it is missing, or fails it under CI
    /// (CI=true), where a skipped model test would let the run pass having checked nothing.
    /// </summary>
    public static string Shared(string relative)
    {
        string path = Path.Combine(SharedRoot, relative);
        if (!File.Exists(path) && !Directory.Exists(path)) Missing(relative, path, Ci.IsCi);
        return path;
    }

    /// <summary>Skips (or under CI fails) the calling test for missing shared material.</summary>
    internal static void Missing(string relative, string path, bool underCi)
    {
        string why = $"Needs the shared test material '{relative}' (expected at {path}); it is not present in this checkout.";
        if (underCi) Assert.Fail(why + " Under CI the shared material is required.");
        Assert.Skip(why);
    }
}
