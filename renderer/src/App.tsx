export function App() {
  return (
    <main>
      <h1>Sandbox Provisioner</h1>
      <p>Local DeerFlow sandboxes on your Kubernetes cluster.</p>
    </main>
  );
}
