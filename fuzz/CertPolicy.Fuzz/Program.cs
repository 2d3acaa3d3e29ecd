using CertPolicy.Fuzz;
using SharpFuzz;

// The AFL harness: `dotnet CertPolicy.Fuzz.dll TARGET` (fuzz/run.sh). With a second argument, runs the target once
// over that file outside AFL (to reproduce a crash): `dotnet CertPolicy.Fuzz.dll TARGET FILE`.
if (args.Length is < 1 or > 2 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine("usage: CertPolicy.Fuzz TARGET [FILE]; targets: " + string.Join(", ", FuzzTargets.Names));
    return 2;
}

string target = args[0];
string fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
if (args.Length == 2)
{
    new FuzzTargets(fixtures).Run(target, File.ReadAllBytes(args[1]));
    Console.WriteLine(target + ": ok");
    return 0;
}

// Instrumented library code may run only inside the callback: SharpFuzz maps AFL's shared memory when the loop
// starts, and an instrumented constructor run before that faults. So the targets are created on the first input.
FuzzTargets? targets = null;
Fuzzer.OutOfProcess.Run(stream =>
{
    targets ??= new FuzzTargets(fixtures);
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    targets.Run(target, ms.GetBuffer().AsSpan(0, (int)ms.Length));
});
return 0;
