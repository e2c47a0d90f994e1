package tokencache

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeEntry names Entry's members itself: every member Save writes must
// read back, including members added to Entry or token.Set later, which this
// test fills by reflection.
func TestDecodeEntryReadsEveryMemberSaveWrites(t *testing.T) {
	var e Entry
	fill(t, reflect.ValueOf(&e).Elem(), "")
	e.Version = EntryVersion
	b, err := json.Marshal(e) // as Save encodes it
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, e) {
		t.Errorf("decodeEntry(%s)\n= %+v\nwant %+v", b, *got, e)
	}
}

// fill sets every field under v to a value of its own.
func fill(t *testing.T, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2030, 1, 2, 3, 4, 5, len(path), time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.String:
		v.SetString("value of " + path)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("%s: fill a %s too", path, v.Kind())
	}
}

func TestDecodeEntryRefuses(t *testing.T) {
	for in, want := range map[string]string{
		`null`:                               "entry version 0",
		`{"version":2,"id_token":"x"}`:       "entry version 2",
		`{"version":1,"id_token":7}`:         "id_token: ",
		`{"version":1,"obtained_at":"soon"}`: "obtained_at: ",
		`[{"version":1}]`:                    "cannot unmarshal array",
		`{"version":1`:                       "unexpected end",
	} {
		if _, err := decodeEntry([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("decodeEntry(%s) = %v, want %q", in, err, want)
		}
	}
}
