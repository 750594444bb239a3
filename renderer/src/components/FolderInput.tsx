import { canChooseFolder, chooseFolder } from '../api/native.js';

/** A path field, with the OS folder picker beside it in the desktop app. */
export function FolderInput(props: { id: string; value: string; placeholder?: string; onChange: (v: string) => void }) {
  return (
    <div className="folder-input">
      <input
        id={props.id}
        value={props.value}
        placeholder={props.placeholder}
        spellCheck={false}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {canChooseFolder() ? (
        <button type="button" onClick={() => void chooseFolder().then((p) => p && props.onChange(p))}>
          Browse…
        </button>
      ) : null}
    </div>
  );
}
