using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using ModelCompiler.Tests.Infrastructure;
using Xunit;

namespace ModelCompiler.Tests.Docs;

/// <summary>
/// The architecture docs name files, folders, types and members in backticks; each must exist, so the docs cannot
/// silently drift from the code. A path is looked up from the repository root (or, written short, from the run-time
/// library or its kernels folder); a placeholder such as <c>Kernels/&lt;Family&gt;/</c> is checked up to the
/// placeholder. A name (<c>KernelPlan</c>, <c>KernelThreads.For</c>, <c>RuntimeApi.DepthwiseConv.Conv2D</c>) must
/// be a namespace, or a type of the generator, the run-time library, the tests or .NET followed by members of it; a bare name may
/// also be a member of such a type or a folder of the run-time kernels. Fenced code blocks are examples and are
/// not checked.
/// </summary>
public sealed class DocsReferenceTests
{
    private static readonly string[] PathBases = { "", "Runtime/ModelCompiler.Runtime", "Runtime/ModelCompiler.Runtime/Kernels" };

    private static readonly Lazy<ILookup<string, Type>> s_types = new(() =>
    {
        var assemblies = new[]
        {
            typeof(ModelCompiler.ModelGenerator).Assembly, typeof(ModelCompiler.Runtime.Arena).Assembly,
            typeof(DocsReferenceTests).Assembly, typeof(object).Assembly, typeof(Assert).Assembly,
            typeof(System.ComponentModel.EditorBrowsableAttribute).Assembly,
        };
        return assemblies.Distinct().SelectMany(Loadable).ToLookup(t => SimpleName(t.Name), StringComparer.Ordinal);
    });

    private static readonly Lazy<HashSet<string>> s_members = new(() =>
        new HashSet<string>(s_types.Value.SelectMany(g => g).SelectMany(t => t.GetMembers(All)).Select(m => SimpleName(m.Name)), StringComparer.Ordinal));

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    [Theory]
    [InlineData("docs/architecture.md")]
    [InlineData("docs/adding-a-kernel.md")]
    public void Every_path_and_name_in_backticks_exists(string doc)
    {
        string text = File.ReadAllText(Path.Combine(Repo.Root, doc)).Replace("\r\n", "\n");
        text = Regex.Replace(text, "```.*?```", "", RegexOptions.Singleline);
        var spans = Regex.Matches(text, "`([^`\n]+)`").Select(m => m.Groups[1].Value).Distinct().ToList();
        var missing = new List<string>();
        int checkedPaths = 0, checkedNames = 0;
        foreach (string span in spans)
        {
            if (IsPath(span))
            {
                checkedPaths++;
                if (!PathExists(span)) missing.Add("path " + span);
            }
            else if (Name(span) is { } name)
            {
                checkedNames++;
                if (!NameExists(name)) missing.Add("name " + span);
            }
        }
        Assert.True(missing.Count == 0, $"{doc} names what does not exist:\n" + string.Join("\n", missing));
        Assert.True(checkedPaths >= 10 && checkedNames >= 10, $"{doc}: only {checkedPaths} paths and {checkedNames} names checked");
    }

    private static bool IsPath(string s) =>
        !s.Contains(' ') && (s.Contains('/') || s.EndsWith(".cs", StringComparison.Ordinal) || s.EndsWith(".md", StringComparison.Ordinal));

    private static bool PathExists(string path)
    {
        int placeholder = path.IndexOf('<');
        if (placeholder >= 0) path = path.Substring(0, placeholder);
        path = path.TrimEnd('/');
        return PathBases.Any(b =>
        {
            string full = Path.Combine(Repo.Root, b, path);
            return File.Exists(full) || Directory.Exists(full);
        });
    }

    /// <summary>The dotted name a span spells (call arguments and generic arguments dropped), or null when it is not one.</summary>
    private static string? Name(string span)
    {
        int paren = span.IndexOf('(');
        if (paren >= 0) span = span.Substring(0, paren);
        span = Regex.Replace(span, "<[^<>]*>", "");
        return Regex.IsMatch(span, @"^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*$") ? span : null;
    }

    private static bool NameExists(string name)
    {
        var parts = name.Split('.');
        if (parts.Length == 1 && (s_members.Value.Contains(name) || PathExists(name))) return true;
        if (s_types.Value.SelectMany(g => g).Any(t => t.Namespace == name)) return true; // a namespace
        IEnumerable<Type> candidates = s_types.Value[parts[0]].Concat(s_types.Value[parts[0] + "Attribute"]);
        return candidates.Any(t => HasMembers(t, parts, 1));
    }

    private static bool HasMembers(Type type, string[] parts, int index)
    {
        if (index == parts.Length) return true;
        var members = type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.FlattenHierarchy).Where(m => SimpleName(m.Name) == parts[index]).ToList();
        if (members.Count == 0) return false;
        if (index == parts.Length - 1) return true;
        return members.OfType<Type>().Any(nested => HasMembers(nested, parts, index + 1));
    }

    private static string SimpleName(string name)
    {
        int tick = name.IndexOf('`');
        return tick < 0 ? name : name.Substring(0, tick);
    }

    private static IEnumerable<Type> Loadable(Assembly a)
    {
        try { return a.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
    }
}
