using System;
using System.Linq;
using System.Reflection;

namespace ModelCompiler.Ops;

/// <summary>
/// The types of this assembly that can be loaded here. Outside the compiler (modelc) Roslyn is absent, so
/// the generator entry type cannot load; op schemas and kernel providers never depend on it.
/// </summary>
internal static class LoadableTypes
{
    public static Type[] Get()
    {
        try { return typeof(LoadableTypes).Assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null).Select(t => t!).ToArray(); }
    }
}
