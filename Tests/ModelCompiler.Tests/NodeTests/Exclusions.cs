using System.Collections.Generic;

namespace ModelCompiler.Tests.NodeTests;

/// <summary>
/// Node tests whose ops ModelCompiler supports but which are deliberately not run, each with the reason.
/// They are reported as skipped, never as passed. An excluded case that starts passing fails, so this list
/// only ever shrinks.
/// </summary>
public static class Exclusions
{
    public static readonly IReadOnlyDictionary<string, string> Reasons = new Dictionary<string, string>
    {
    };
}
